import type { TlsCertificate } from '../../shared/redfish';
import { RedfishConnection } from './connection';
import { RedfishError } from './errors';
import type { ServiceRoot } from './payloads';

export interface RedfishProbe {
  certificate: TlsCertificate | null;
  root: ServiceRoot;
}

/**
 * Whether a Redfish service answers at address:port, and with which certificate: one anonymous GET of the service
 * root, any certificate accepted, no credentials sent. null when nothing (or not Redfish) answers in time.
 */
export async function probeRedfish(address: string, port: number, timeoutMs = 2000): Promise<RedfishProbe | null> {
  const connection = new RedfishConnection(
    { address, port, user: '', password: '', trust: null },
    { anonymousProbe: true, timeoutMs, tries: 1, maxConcurrent: 1 },
  );
  try {
    const root = await connection.serviceRoot();
    return { certificate: connection.certificate, root };
  } catch (error) {
    if (error instanceof RedfishError) return null;
    throw error;
  } finally {
    await connection.close();
  }
}
