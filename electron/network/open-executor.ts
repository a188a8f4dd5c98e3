import { LocalExecutor, type DhcpProbe, type NetworkExecutor } from './executor';
import { HelperClient, HelperUnavailable } from './helper/client';
import type { HelperScope } from './helper/protocol';
import { findProgram } from '../lib/command-runner';

/** Where packages install the helper's launcher (the path the polkit policy names); overridable for development. */
export const DEFAULT_HELPER_PATH = '/usr/lib/rackboot/rackboot-net-helper';

export function isRootProcess(): boolean {
  return process.getuid?.() === 0;
}

/** In-process when Rackboot already runs as root (tests, headless on a server); otherwise the helper via pkexec. */
export async function openExecutor(scope: HelperScope, dhcpProbe: DhcpProbe): Promise<NetworkExecutor> {
  if (isRootProcess()) return new LocalExecutor(dhcpProbe);
  const pkexec = await findProgram('pkexec');
  if (!pkexec) throw new HelperUnavailable('pkexec (polkit) is not installed');
  return HelperClient.start({ command: pkexec, args: [process.env.RACKBOOT_NET_HELPER ?? DEFAULT_HELPER_PATH] }, scope);
}
