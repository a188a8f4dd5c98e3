// Option negotiation for a read request: RFC 2347 (OACK), 2348 (blksize), 2349 (timeout, tsize), 7440 (windowsize).

export interface NegotiationLimits {
  /** Largest block we agree to; 1468 keeps a DATA packet inside one 1500-byte Ethernet frame. */
  maxBlksize: number;
  maxWindowsize: number;
  /** Retransmission timeout used when the client does not ask for one. */
  defaultTimeoutMs: number;
}

export interface Negotiated {
  blksize: number;
  windowsize: number;
  timeoutMs: number;
  /** Options to acknowledge, in the client's order; null means "send no OACK, start with DATA 1" (RFC 2347). */
  oack: Map<string, string> | null;
}

export const DEFAULT_LIMITS: NegotiationLimits = { maxBlksize: 1468, maxWindowsize: 64, defaultTimeoutMs: 1000 };

const RFC1350_BLKSIZE = 512;

export function negotiate(
  requested: ReadonlyMap<string, string>,
  transferSize: number,
  limits: NegotiationLimits = DEFAULT_LIMITS,
): Negotiated {
  const result: Negotiated = {
    blksize: RFC1350_BLKSIZE,
    windowsize: 1,
    timeoutMs: limits.defaultTimeoutMs,
    oack: null,
  };
  const oack = new Map<string, string>();
  for (const [name, raw] of requested) {
    const value = parseDecimal(raw);
    // Options with values outside their RFC range are ignored rather than refused, like tftpd-hpa does:
    // the client then falls back to plain RFC 1350 behaviour for that option.
    switch (name) {
      case 'blksize':
        if (value !== null && value >= 8 && value <= 65464) {
          result.blksize = Math.min(value, limits.maxBlksize);
          oack.set(name, String(result.blksize));
        }
        break;
      case 'windowsize':
        if (value !== null && value >= 1 && value <= 65535) {
          result.windowsize = Math.min(value, limits.maxWindowsize);
          oack.set(name, String(result.windowsize));
        }
        break;
      case 'timeout':
        if (value !== null && value >= 1 && value <= 255) {
          result.timeoutMs = value * 1000;
          oack.set(name, String(value));
        }
        break;
      case 'tsize':
        if (value !== null) oack.set(name, String(transferSize));
        break;
      default:
        break;
    }
  }
  result.oack = oack.size > 0 ? oack : null;
  return result;
}

function parseDecimal(text: string): number | null {
  return /^[0-9]{1,10}$/.test(text) ? Number(text) : null;
}
