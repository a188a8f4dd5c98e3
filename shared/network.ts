import { z } from 'zod';
import { ipv4CidrSchema, ipv4Schema } from './ipv4';

export { ipv4Schema };
/** Linux interface names: at most 15 bytes, no slash, no whitespace, not "." or "..", and never read as an option. */
const IFNAME = /^(?!-)(?!\.{1,2}$)[A-Za-z0-9_.:@-]{1,15}$/;

export const cidrSchema = ipv4CidrSchema({ min: 8, max: 30 }, '192.168.2.0/24');

export const interfaceNameSchema = z.string().trim().refine((value) => IFNAME.test(value), {
  message: 'interface names are 1–15 letters, digits or . _ - : @, and do not start with -',
});

/** An interface as the technician picks it: Linux names, or Windows ones like "Ethernet 2" (shown in commands). */
export const pickedInterfaceSchema = z
  .string()
  .trim()
  .min(1, 'choose an interface')
  .max(64, 'interface names are at most 64 characters')
  .refine((value) => !/["'`\\$]/.test(value) && ![...value].some((char) => char.charCodeAt(0) < 32), {
    message: 'interface names cannot contain quotes, $, \\ or control characters',
  });

export const interfaceAddressSchema = z.object({
  family: z.enum(['inet', 'inet6']),
  address: z.string(),
  prefixLength: z.number().int().min(0).max(128),
  scope: z.string(),
  broadcast: z.string().nullable(),
  label: z.string().nullable(),
  /** Seconds; null means forever (a static address). */
  validLifetime: z.number().int().nullable(),
  preferredLifetime: z.number().int().nullable(),
});
export type InterfaceAddress = z.infer<typeof interfaceAddressSchema>;

/** One network interface of the laptop as the wizard shows it. */
export const networkInterfaceSchema = z.object({
  name: z.string(),
  mac: z.string().nullable(),
  kind: z.enum(['wired', 'wireless', 'bridge', 'loopback', 'other']),
  /** The kernel's link kind (veth, bridge, openvswitch, vlan…); null for a physical NIC. */
  linkKind: z.string().nullable(),
  adminUp: z.boolean(),
  /** Cable plugged and the switch port alive; null when the kernel cannot say. */
  carrier: z.boolean().nullable(),
  speedMbps: z.number().int().nullable(),
  operState: z.string(),
  mtu: z.number().int(),
  master: z.string().nullable(),
  addresses: z.array(interfaceAddressSchema),
  /**
   * Part of the uplink: carries a default route (IPv4 or IPv6, any routing table) or is tied to an interface that does
   * (its port, the bridge over it, the device under it). The notes say which.
   */
  carriesDefaultRoute: z.boolean(),
  /** null when NetworkManager is not installed. */
  managedByNetworkManager: z.boolean().nullable(),
  recommended: z.boolean(),
  /** Why it is or is not a good provisioning NIC, in the technician's words. */
  notes: z.array(z.string()),
});
export type NetworkInterface = z.infer<typeof networkInterfaceSchema>;

export const networkModeSchema = z.enum(['bridge', 'address-only']);
export type NetworkMode = z.infer<typeof networkModeSchema>;

/** What the technician chooses; everything but the interface has the guide's defaults. */
export const networkPlanInputSchema = z.object({
  interface: pickedInterfaceSchema,
  subnet: cidrSchema.default('192.168.2.0/24'),
  /** The laptop's address on the provisioning subnet; default: the subnet's .10, as the guide's 192.168.2.10. */
  address: ipv4Schema.optional(),
  pool: z.object({ start: ipv4Schema, end: ipv4Schema }).optional(),
  mode: networkModeSchema.default('bridge'),
  /** Default: br-<interface>, like the guide's br-eth2. */
  bridgeName: interfaceNameSchema.optional(),
});
export type NetworkPlanInput = z.input<typeof networkPlanInputSchema>;
export type NetworkPlanRequest = z.output<typeof networkPlanInputSchema>;

/**
 * One change to the system. The privileged helper accepts exactly these and builds the command itself, so the window
 * can never make it run anything else.
 */
export const networkOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('bridge-create'), bridge: interfaceNameSchema }),
  z.object({ op: z.literal('bridge-delete'), bridge: interfaceNameSchema }),
  z.object({ op: z.literal('ovs-bridge-create'), bridge: interfaceNameSchema }),
  z.object({ op: z.literal('ovs-bridge-delete'), bridge: interfaceNameSchema }),
  z.object({ op: z.literal('ovs-port-add'), bridge: interfaceNameSchema, device: interfaceNameSchema }),
  z.object({ op: z.literal('ovs-port-delete'), bridge: interfaceNameSchema, device: interfaceNameSchema }),
  z.object({ op: z.literal('set-master'), device: interfaceNameSchema, master: interfaceNameSchema }),
  z.object({ op: z.literal('set-nomaster'), device: interfaceNameSchema }),
  z.object({ op: z.literal('set-up'), device: interfaceNameSchema }),
  z.object({ op: z.literal('set-down'), device: interfaceNameSchema }),
  z.object({
    op: z.literal('address-add'),
    device: interfaceNameSchema,
    address: ipv4Schema,
    prefixLength: z.number().int().min(0).max(32),
    broadcast: ipv4Schema.nullable(),
    scope: z.enum(['global', 'link', 'host']),
    label: interfaceNameSchema.nullable(),
    validLifetime: z.number().int().min(1).nullable(),
    preferredLifetime: z.number().int().min(0).nullable(),
  }),
  z.object({
    op: z.literal('address-delete'),
    device: interfaceNameSchema,
    address: ipv4Schema,
    prefixLength: z.number().int().min(0).max(32),
  }),
  z.object({
    op: z.literal('route-add'),
    device: interfaceNameSchema,
    destination: z.union([z.literal('default'), cidrSchema, ipv4Schema]),
    gateway: ipv4Schema.nullable(),
    metric: z.number().int().min(0).nullable(),
    scope: z.enum(['global', 'link', 'host']).nullable(),
    source: ipv4Schema.nullable(),
    protocol: z.enum(['boot', 'static', 'dhcp']).nullable(),
  }),
  z.object({ op: z.literal('nm-set-managed'), device: interfaceNameSchema, managed: z.boolean() }),
]);
export type NetworkOp = z.infer<typeof networkOpSchema>;

export const networkStepSchema = z.object({
  op: networkOpSchema,
  /** The exact command line that will run. */
  command: z.array(z.string()),
  description: z.string(),
});
export type NetworkStep = z.infer<typeof networkStepSchema>;

export const networkCheckSchema = z.object({
  id: z.enum([
    'interface-missing',
    'wireless',
    'default-route',
    'enslaved',
    'bridge-exists',
    'address-invalid',
    'pool-invalid',
    'subnet-overlap',
    'no-link',
    'address-in-use',
    'other-dhcp-server',
    'dhcp-probe-skipped',
    'arp-probe-skipped',
    'network-manager',
    'openvswitch',
    'already-configured',
  ]),
  /** A blocker stops the apply; a warning needs the technician's attention; info explains a choice. */
  severity: z.enum(['blocker', 'warning', 'info']),
  message: z.string(),
});
export type NetworkCheck = z.infer<typeof networkCheckSchema>;

export const networkPlanSchema = z.object({
  id: z.string(),
  interface: z.string(),
  mode: networkModeSchema,
  backend: z.enum(['iproute2', 'openvswitch']),
  networkManager: z.boolean(),
  subnet: z.string(),
  address: z.string(),
  prefixLength: z.number().int(),
  pool: z.object({ start: z.string(), end: z.string() }),
  bridge: z.string().nullable(),
  /** Where the DHCP/TFTP/HTTP services listen: the bridge in bridge mode, the interface otherwise. */
  serviceInterface: z.string(),
  steps: z.array(networkStepSchema),
  checks: z.array(networkCheckSchema),
  canApply: z.boolean(),
  /** The same steps as a shell script, for when the privileged helper cannot start (run it with sudo). */
  script: z.string(),
});
export type NetworkPlan = z.infer<typeof networkPlanSchema>;

export const dhcpOfferSchema = z.object({
  server: z.string(),
  offeredAddress: z.string().nullable(),
  bootFile: z.string().nullable(),
  proxy: z.boolean(),
});
export type DhcpOffer = z.infer<typeof dhcpOfferSchema>;

export const networkApplyResultSchema = z.object({
  interface: networkInterfaceSchema,
  serviceInterface: z.string(),
  /** Checks that can only run once the address is in place (the other-DHCP-server probe). */
  checks: z.array(networkCheckSchema),
});
export type NetworkApplyResult = z.infer<typeof networkApplyResultSchema>;

/** A change that has not been undone yet: left by a crash, or the live one. */
export const pendingNetworkChangeSchema = z.object({
  interface: z.string(),
  bridge: z.string().nullable(),
  mode: networkModeSchema,
  address: z.string(),
  startedAt: z.string(),
  phase: z.enum(['applying', 'applied', 'undoing']),
  stepsStarted: z.number().int(),
  stepsTotal: z.number().int(),
  /** True when it was left by an earlier run of Rackboot (crash or kill), false for this run's own change. */
  fromEarlierRun: z.boolean(),
});
export type PendingNetworkChange = z.infer<typeof pendingNetworkChangeSchema>;

export const networkProgressSchema = z.object({
  phase: z.enum(['apply', 'undo', 'rollback']),
  index: z.number().int(),
  total: z.number().int(),
  description: z.string(),
  command: z.array(z.string()),
  status: z.enum(['running', 'done', 'failed']),
});
export type NetworkProgress = z.infer<typeof networkProgressSchema>;
