import { z } from 'zod';
import { macSchema } from '../../../shared/nodes';
import { dhcpOfferSchema, interfaceNameSchema, ipv4Schema, networkOpSchema } from '../../../shared/network';
import { PRIVILEGED_UDP_PORTS } from '../../pxe/bind-errors';

/**
 * The privileged helper's whole vocabulary. Requests travel over the Node IPC socketpair the main process created
 * when it started the helper (no file, no name anyone else could connect to); everything else is rejected.
 */
export const requestIdSchema = z.object({ id: z.number().int().nonnegative() });

export const helperRequestSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  request: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('op'), op: networkOpSchema }),
    z.strictObject({ type: z.literal('arp-probe'), device: interfaceNameSchema, address: ipv4Schema }),
    z.strictObject({ type: z.literal('dhcp-probe'), device: interfaceNameSchema, source: ipv4Schema, mac: macSchema }),
    z.strictObject({
      type: z.literal('bind-udp'),
      port: z.union(PRIVILEGED_UDP_PORTS.map((port) => z.literal(port))),
      address: ipv4Schema,
      /** Tie the socket to this interface (SO_BINDTODEVICE); null for an ordinary socket. */
      device: interfaceNameSchema.nullable(),
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

export function helperArgs(scope: HelperScope): string[] {
  return ['--interface', scope.interface, ...(scope.bridge ? ['--bridge', scope.bridge] : [])];
}

export function parseHelperArgs(argv: readonly string[]): HelperScope {
  const value = (flag: string): string | null => {
    const index = argv.indexOf(flag);
    return index === -1 ? null : (argv[index + 1] ?? null);
  };
  const iface = interfaceNameSchema.safeParse(value('--interface'));
  if (!iface.success) throw new Error('usage: rackboot-net-helper --interface IFNAME [--bridge BRIDGE]');
  const bridgeArg = value('--bridge');
  const bridge = bridgeArg === null ? null : interfaceNameSchema.safeParse(bridgeArg);
  if (bridge && !bridge.success) throw new Error('--bridge must be an interface name');
  if (bridge?.data === iface.data) throw new Error('--bridge must differ from --interface');
  return { interface: iface.data, bridge: bridge?.data ?? null };
}
