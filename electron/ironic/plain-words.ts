import type { BmcAccess } from './node-mapping';

/**
 * Ironic's last_error is written for its operators ("Failed to get power state for node 1be2…. Error: IPMI call
 * failed: power status."). What it means for the technician, and what to do, in one sentence. Pure.
 */
export function explainLastError(lastError: string, bmc: BmcAccess): string {
  const target = bmc.protocol === 'ipmi' ? `the BMC at ${bmc.address}:${bmc.port} over IPMI` : `the BMC at ${bmc.address} over Redfish`;
  const said = ` (Ironic said: ${lastError.trim()})`;
  if (/IPMI call failed|Failed to get power state|ipmitool|Unable to establish IPMI|password|authenticat|401|Unauthorized|credential/i.test(lastError)) {
    return `Ironic could not sign in to ${target} with the user and password Rackboot sent: check the BMC password (and that Ironic's host can reach the BMC), then hand off again${said}.`;
  }
  if (/timed out|timeout|unreachable|No route|Connection refused|Max retries/i.test(lastError)) {
    return `Ironic could not reach ${target} from where its conductor runs: check the network between Ironic and the BMC${said}.`;
  }
  if (/missing|required|Invalid|driver_info/i.test(lastError)) {
    return `Ironic finds the node's BMC settings incomplete or invalid: check the BMC address, port and user in Rackboot${said}.`;
  }
  if (/not enabled|not loaded|hardware type|interface/i.test(lastError)) {
    return `This Ironic does not run the "${bmc.protocol}" hardware type: ask its operator to enable it (enabled_hardware_types)${said}.`;
  }
  return `Ironic could not verify the node${said}.`;
}

/** A refused create or update, in words: the usual causes named. */
export function explainRefusal(fault: string): string {
  if (/already exists|duplicate/i.test(fault)) return `Ironic already has a record with that name or MAC that Rackboot could not match: ${fault}`;
  if (/driver|hardware type/i.test(fault)) return `Ironic does not accept the driver: ask its operator to enable the hardware type. Ironic said: ${fault}`;
  return fault;
}
