// MAC capture: binds a node to the PXE client that is that node, from the PXE requests the DHCP server sees.
// Pure: it is fed events and returns the bindings they make.
import type { CaptureBoundEvent, CaptureMatch, DhcpServerEvent, PxeRequestEvent } from '../../../shared/pxe';

export interface CaptureTarget {
  nodeId: string;
  /** The BMC's System GUID (IPMI Get System GUID), any common spelling; null when the BMC has none. */
  systemGuid: string | null;
  /** When the node was powered on for capture (ms since the epoch). */
  poweredOnAt: number;
}

/** 32 lower-case hex digits, or null when `text` is not a GUID. */
export function guidHex(text: string): string | null {
  const hex = text.replace(/[{}\-\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : null;
}

/**
 * SMBIOS (and so the PXE ROM's option 97) stores the first three GUID fields little-endian, while many BMCs report
 * them big-endian (or the other way round): the same machine shows up with those bytes reversed.
 */
export function swapGuidFields(hex: string): string {
  const reverse = (part: string) => part.match(/../g)!.reverse().join('');
  return reverse(hex.slice(0, 8)) + reverse(hex.slice(8, 12)) + reverse(hex.slice(12, 16)) + hex.slice(16);
}

export function matchGuid(systemGuid: string, uuid: string): CaptureMatch | null {
  const guid = guidHex(systemGuid);
  const seen = guidHex(uuid);
  if (!guid || !seen) return null;
  if (guid === seen) return 'system-guid';
  if (swapGuidFields(guid) === seen) return 'system-guid-byte-swapped';
  return null;
}

export class MacCapture {
  private readonly targets = new Map<string, CaptureTarget>();
  private readonly firstSeen = new Map<string, number>();

  /**
   * @param claimed MACs already bound to some node: never captured again for another one.
   */
  constructor(private readonly claimed: (mac: string) => boolean) {}

  start(target: CaptureTarget): void {
    this.targets.set(target.nodeId, target);
  }

  cancel(nodeId: string): void {
    this.targets.delete(nodeId);
  }

  get active(): string[] {
    return [...this.targets.keys()];
  }

  /** Feeds one PXE request; returns the sessions it completed (each target is bound at most once). */
  observe(event: PxeRequestEvent): CaptureBoundEvent[] {
    const at = Date.parse(event.time);
    const firstSeen = this.firstSeen.get(event.mac) ?? at;
    this.firstSeen.set(event.mac, firstSeen);
    if (this.claimed(event.mac)) return [];
    const bound: CaptureBoundEvent[] = [];
    // GUID matches first: they are certain, and must win over a fallback waiting for the same MAC.
    const ordered = [...this.targets.values()].sort((a, b) => Number(a.systemGuid === null) - Number(b.systemGuid === null));
    for (const target of ordered) {
      const match = this.matchTarget(target, event, firstSeen);
      if (!match) continue;
      this.targets.delete(target.nodeId);
      bound.push({
        type: 'capture-bound',
        time: event.time,
        nodeId: target.nodeId,
        mac: event.mac,
        uuid: event.uuid,
        arch: event.arch,
        match,
      });
      break;
    }
    return bound;
  }

  private matchTarget(target: CaptureTarget, event: PxeRequestEvent, firstSeen: number): CaptureMatch | null {
    if (target.systemGuid !== null) return event.uuid ? matchGuid(target.systemGuid, event.uuid) : null;
    // No GUID: the first MAC never seen before this node's power-on is most likely this node. A guess, marked so.
    return firstSeen >= target.poweredOnAt ? 'first-new-mac-after-power-on' : null;
  }
}

/** Anything that reports DHCP server events (the DhcpServer does). */
export interface DhcpEventSource {
  subscribe(listener: (event: DhcpServerEvent) => void): () => void;
}

/** Feeds every PXE request the server sees into `capture`; returns the unsubscribe function. */
export function feedCapture(source: DhcpEventSource, capture: MacCapture, onBound: (event: CaptureBoundEvent) => void): () => void {
  return source.subscribe((event) => {
    if (event.type !== 'pxe-request') return;
    for (const bound of capture.observe(event)) onBound(bound);
  });
}
