import type { Netns } from '../support/netns';

export interface BmcAccess {
  address: string;
  port: number;
  user: string;
  password: string;
}

/**
 * Runs the reference client `ipmitool -I lanplus -C 3` against a BMC from inside `ns`. Cipher suite 3 is explicit
 * because without -C ipmitool spends 10 s failing "Get Channel Cipher Suites" on ipmi_sim. The password travels in
 * IPMI_PASSWORD (-E), so it never shows in a process list or an error message.
 */
export function ipmitool(ns: Netns, bmc: BmcAccess, args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const connection = ['-I', 'lanplus', '-C', '3', '-H', bmc.address, '-p', String(bmc.port), '-U', bmc.user, '-E'];
  return ns.exec('ipmitool', [...connection, ...args], {
    env: { ...process.env, IPMI_PASSWORD: bmc.password },
    timeoutMs: options.timeoutMs ?? 20_000,
  });
}
