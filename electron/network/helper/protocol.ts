import { z } from 'zod';
import { macSchema } from '../../../shared/mac';
import { dhcpOfferSchema, ipv4Schema, networkOpSchema, type NetworkOp } from '../../../shared/network';
import { PRIVILEGED_UDP_PORTS } from '../../lib/bind-errors';

/**
 * The privileged helper's whole vocabulary. Requests travel over the Node IPC socketpair the main process created
 * when it started the helper (no file, no name anyone else could connect to); everything else is rejected.
 */
export const requestIdSchema = z.object({ id: z.number().int().nonnegative() });

/**
 * A device name root passes to ip, ovs-vsctl and nmcli: what the kernel accepts (at most 15 bytes, no slash, colon or
 * space) narrowed to letters, digits and `_ . -`, and never starting with `-` or `.`, so no tool can read it as an
 * option, a path or anything but a name. Exact: nothing is trimmed or rewritten.
 */
const DEVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
/** An address label (`ip addr … label eth0:1`): a device name, then optionally `:` and more. */
const ADDRESS_LABEL = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/;
const DEVICE_NAME_RULE = 'a device name is 1–15 letters, digits or _ . - and starts with a letter, digit or _';

export const helperDeviceNameSchema = z.string().regex(DEVICE_NAME, DEVICE_NAME_RULE);

/** Which part of the helper's scope a device in a request must be. */
export type ScopeRole = 'interface' | 'bridge' | 'interface-or-bridge';

/** Every device an op names, with the role it must have: the one list the name and scope checks both walk. */
export function opDevices(op: NetworkOp): Array<{ device: string; role: ScopeRole }> {
  switch (op.op) {
    case 'bridge-create':
    case 'bridge-delete':
    case 'ovs-bridge-create':
    case 'ovs-bridge-delete':
      return [{ device: op.bridge, role: 'bridge' }];
    case 'ovs-port-add':
    case 'ovs-port-delete':
      return [
        { device: op.bridge, role: 'bridge' },
        { device: op.device, role: 'interface' },
      ];
    case 'set-master':
      return [
        { device: op.device, role: 'interface' },
        { device: op.master, role: 'bridge' },
      ];
    case 'set-nomaster':
    case 'nm-set-managed':
    case 'route-add':
      return [{ device: op.device, role: 'interface' }];
    case 'set-up':
    case 'set-down':
    case 'address-add':
    case 'address-delete':
      return [{ device: op.device, role: 'interface-or-bridge' }];
  }
}

const helperOpSchema = networkOpSchema.superRefine((op, context) => {
  for (const { device } of opDevices(op)) {
    if (!DEVICE_NAME.test(device)) context.addIssue({ code: 'custom', message: `${JSON.stringify(device)}: ${DEVICE_NAME_RULE}` });
  }
  if (op.op === 'address-add' && op.label !== null && !ADDRESS_LABEL.test(op.label)) {
    context.addIssue({ code: 'custom', message: `${JSON.stringify(op.label)} is not an address label` });
  }
});

export const helperRequestSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  request: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('op'), op: helperOpSchema }),
    z.strictObject({ type: z.literal('arp-probe'), device: helperDeviceNameSchema, address: ipv4Schema }),
    z.strictObject({ type: z.literal('dhcp-probe'), device: helperDeviceNameSchema, source: ipv4Schema, mac: macSchema }),
    z.strictObject({
      type: z.literal('bind-udp'),
      port: z.union(PRIVILEGED_UDP_PORTS.map((port) => z.literal(port))),
      address: ipv4Schema,
      /**
       * Tie the socket to this interface (SO_BINDTODEVICE). null only with an address of the NIC or bridge: an untied
       * socket on 0.0.0.0 would hear the uplink too, so the helper refuses it.
       */
      device: helperDeviceNameSchema.nullable(),
      reuseAddress: z.boolean(),
    }),
  ]),
});
export type HelperRequest = z.infer<typeof helperRequestSchema>['request'];

export const helperResultSchema = z.union([
  z.object({ type: z.literal('done') }),
  z.object({ type: z.literal('arp'), inUse: z.boolean(), mac: z.string().nullable() }),
  z.object({ type: z.literal('dhcp'), offers: z.array(dhcpOfferSchema) }),
  /** The bound socket itself travels with this message (SCM_RIGHTS through Node's IPC channel). */
  z.object({ type: z.literal('bound'), port: z.number().int(), address: z.string() }),
]);
export type HelperResult = z.infer<typeof helperResultSchema>;

export const helperResponseSchema = z.union([
  z.object({ kind: z.literal('ready'), interface: z.string(), bridge: z.string().nullable() }),
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(true), result: helperResultSchema }),
  /** `code`: the errno name (EADDRINUSE, …) when a system call failed, so the caller can say what to do about it. */
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(false), error: z.string(), code: z.string().optional() }),
]);
export type HelperResponse = z.infer<typeof helperResponseSchema>;

/** What one helper may touch, fixed when it starts: the provisioning interface and the bridge over it. */
export interface HelperScope {
  interface: string;
  bridge: string | null;
}

/** The helper's exit status when it refuses to start (bad command line, the uplink, Wi-Fi, …), with the reason on stderr. */
export const HELPER_REFUSED_EXIT = 2;
/** How the helper begins every line it writes to stderr. */
export const HELPER_STDERR_PREFIX = 'rackboot-net-helper: ';

export function helperArgs(scope: HelperScope): string[] {
  return ['--interface', scope.interface, ...(scope.bridge ? ['--bridge', scope.bridge] : [])];
}

const USAGE = 'usage: rackboot-net-helper --interface IFNAME [--bridge BRIDGE]';

/** Exactly `--interface NAME [--bridge NAME]`, each once, in either order; anything else is refused. */
export function parseHelperArgs(argv: readonly string[]): HelperScope {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 2) {
    const flag = argv[index] ?? '';
    const value = argv[index + 1];
    if ((flag !== '--interface' && flag !== '--bridge') || values.has(flag) || value === undefined) throw new Error(USAGE);
    values.set(flag, value);
  }
  const iface = helperDeviceNameSchema.safeParse(values.get('--interface'));
  if (!iface.success) throw new Error(`${USAGE} (${DEVICE_NAME_RULE})`);
  const bridgeArg = values.get('--bridge');
  const bridge = bridgeArg === undefined ? null : helperDeviceNameSchema.safeParse(bridgeArg);
  if (bridge && !bridge.success) throw new Error(`--bridge must be a device name: ${DEVICE_NAME_RULE}`);
  if (bridge?.data === iface.data) throw new Error('--bridge must differ from --interface');
  return { interface: iface.data, bridge: bridge?.data ?? null };
}
