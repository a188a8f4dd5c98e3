import type { PatchOperation } from './api-client';
import { SECRET_DRIVER_INFO_KEYS, type IronicNodeRecord, type IronicNodeSpec } from './node-mapping';

/**
 * The JSON Patch that brings Ironic's record of a node to what Rackboot knows, and nothing more: fields Rackboot does
 * not set (deploy_kernel, resource_class, someone's own extra keys…) stay as they are. Empty when they already agree,
 * so a second hand-off changes nothing. Pure.
 */
export function nodePatch(current: IronicNodeRecord, wanted: IronicNodeSpec, options: { sendPasswords: boolean }): PatchOperation[] {
  const operations: PatchOperation[] = [];
  if (current.driver !== wanted.driver) operations.push({ op: 'replace', path: '/driver', value: wanted.driver });
  for (const [section, values] of [
    ['driver_info', wanted.driver_info],
    ['properties', wanted.properties],
    ['extra', wanted.extra],
  ] as const) {
    const have = current[section] ?? {};
    for (const [key, value] of Object.entries(values)) {
      // Ironic shows a stored secret as "******": whether it matches cannot be seen, so it is sent only when asked.
      if (section === 'driver_info' && SECRET_DRIVER_INFO_KEYS.has(key) && !options.sendPasswords) continue;
      if (section !== 'driver_info' || !SECRET_DRIVER_INFO_KEYS.has(key)) {
        if (sameJson(have[key], value)) continue;
      }
      if (section === 'driver_info' && key === 'redfish_verify_ca' && isCaBundlePath(have[key])) continue;
      operations.push({ op: 'add', path: `/${section}/${pointerEscape(key)}`, value });
    }
  }
  return operations;
}

/**
 * A redfish_verify_ca that names a CA bundle on Ironic's host: the operator put the BMC's certificate (or its CA) there,
 * which is stronger than Rackboot's true/false (a pin cannot be told to Ironic), so a hand-off never undoes it.
 */
function isCaBundlePath(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && !/^(true|false|yes|no|on|off|1|0|t|f|y|n)$/i.test(value.trim());
}

/** RFC 6901: `~` and `/` in a key. */
function pointerEscape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Deep equality of JSON values, key order ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && sameJson(left[key], right[key]));
}
