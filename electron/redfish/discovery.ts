import type { DiscoveredRedfish } from '../../shared/bmc';
import { probeRedfish } from './probe';

export interface RedfishDiscoveryOptions {
  readonly port?: number;
  /** HTTPS handshakes in flight at once: a TLS handshake costs a BMC far more than an IPMI ping. */
  readonly concurrency?: number;
  /** How long one address gets to answer the service root (connect, TLS and GET). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Each address once its probe ended, with what answered there (null: no Redfish service). */
  readonly onProbed?: (address: string, found: DiscoveredRedfishService | null) => void;
}

export type DiscoveredRedfishService = DiscoveredRedfish & { address: string };

/**
 * Finds Redfish services among addresses: HTTPS on `port` answering the anonymous service root /redfish/v1 (what any
 * Redfish BMC answers without credentials; no password is sent, any certificate is read and shown, none trusted).
 */
export async function discoverRedfish(hosts: readonly string[], options: RedfishDiscoveryOptions = {}): Promise<DiscoveredRedfishService[]> {
  const port = options.port ?? 443;
  const timeoutMs = options.timeoutMs ?? 2000;
  const found: DiscoveredRedfishService[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < hosts.length && !options.signal?.aborted) {
      const address = hosts[next++]!;
      const probe = await probeRedfish(address, port, timeoutMs);
      const service: DiscoveredRedfishService | null = probe
        ? { address, port, redfishVersion: probe.root.redfishVersion, vendor: probe.root.vendor, product: probe.root.product, certificate: probe.certificate }
        : null;
      if (service) found.push(service);
      options.onProbed?.(address, service);
    }
  };
  await Promise.all(Array.from({ length: Math.min(hosts.length, Math.max(1, options.concurrency ?? 32)) }, worker));
  return found;
}
