// PXE / DHCP contract between the main process and the UI: configuration, events and probe results.
import { z } from 'zod';
import { ipv4Schema } from './ipv4';

const ipv4 = ipv4Schema;
/** Lower-case, colon-separated, e.g. 52:54:00:12:34:56. */
export const MacAddress = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
export type MacAddress = z.infer<typeof MacAddress>;

/** Firmware families from DHCP option 93 (RFC 4578 and the IANA processor architecture registry). */
export const ClientArch = z.enum(['bios', 'uefi-ia32', 'uefi-x64', 'uefi-arm32', 'uefi-arm64', 'uefi-x64-http', 'uefi-arm64-http', 'unknown']);
export type ClientArch = z.infer<typeof ClientArch>;

export const DhcpMode = z.enum(['full', 'proxy']);
export type DhcpMode = z.infer<typeof DhcpMode>;

/** Whom the server answers: enrolled machines only (default) or every PXE client. */
export const AnswerPolicy = z.enum(['enrolled', 'all-pxe']);
export type AnswerPolicy = z.infer<typeof AnswerPolicy>;

export const BootFiles = z.object({
  bios: z.string().default('undionly.kpxe'),
  uefiIa32: z.string().default('ipxe.efi'),
  uefiX64: z.string().default('snponly.efi'),
  uefiArm64: z.string().default('ipxe-arm64.efi'),
});
export type BootFiles = z.infer<typeof BootFiles>;

export const AddressPool = z.object({
  start: ipv4,
  end: ipv4,
  subnetMask: ipv4,
  leaseSeconds: z.number().int().positive().default(3600),
  router: ipv4.nullable().default(null),
  dnsServers: z.array(ipv4).default([]),
});
export type AddressPool = z.infer<typeof AddressPool>;

export const DhcpSettings = z.object({
  interfaceName: z.string().min(1),
  serverAddress: ipv4,
  mode: DhcpMode,
  answer: AnswerPolicy.default('enrolled'),
  /** Required in full mode; ignored in proxy mode. */
  pool: AddressPool.nullable().default(null),
  bootFiles: BootFiles.default(BootFiles.parse({})),
});
export type DhcpSettings = z.infer<typeof DhcpSettings>;

const eventBase = { time: z.string().datetime(), interface: z.string() };

/** One PXE (or iPXE) DISCOVER/REQUEST seen on the provisioning interface. */
export const PxeRequestEvent = z.object({
  type: z.literal('pxe-request'),
  ...eventBase,
  mac: MacAddress,
  /** Option 97 as sent, canonical 8-4-4-4-12 lower-case hex; null when absent or malformed. */
  uuid: z.string().nullable(),
  arch: ClientArch,
  archCode: z.number().int().nullable(),
  vendorClass: z.string().nullable(),
  userClass: z.string().nullable(),
  isIpxe: z.boolean(),
  messageType: z.enum(['discover', 'request', 'inform']),
  /** 67 for broadcast DHCP, 4011 for proxyDHCP boot server requests. */
  port: z.number().int(),
});
export type PxeRequestEvent = z.infer<typeof PxeRequestEvent>;

export const BootTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tftp'), nextServer: ipv4, file: z.string() }),
  z.object({ kind: z.literal('http'), url: z.string() }),
]);
export type BootTarget = z.infer<typeof BootTarget>;

export const DhcpReplyEvent = z.object({
  type: z.literal('dhcp-reply'),
  ...eventBase,
  mac: MacAddress,
  messageType: z.enum(['offer', 'ack', 'nak']),
  mode: DhcpMode,
  nodeId: z.string().nullable(),
  /** Null in proxy mode and for NAKs. */
  address: ipv4.nullable(),
  boot: BootTarget.nullable(),
});
export type DhcpReplyEvent = z.infer<typeof DhcpReplyEvent>;

export const LeaseGrantedEvent = z.object({
  type: z.literal('lease-granted'),
  ...eventBase,
  mac: MacAddress,
  nodeId: z.string().nullable(),
  address: ipv4,
  expiresAt: z.string().datetime(),
});
export type LeaseGrantedEvent = z.infer<typeof LeaseGrantedEvent>;

export const IgnoreReason = z.enum([
  'unknown-machine',
  'not-pxe',
  'pool-exhausted',
  'other-server-chosen',
  'unsupported-message',
  'relayed',
]);
export type IgnoreReason = z.infer<typeof IgnoreReason>;

export const RequestIgnoredEvent = z.object({
  type: z.literal('request-ignored'),
  ...eventBase,
  mac: MacAddress,
  reason: IgnoreReason,
});
export type RequestIgnoredEvent = z.infer<typeof RequestIgnoredEvent>;

/**
 * Datagrams on a DHCP port that are not DHCP requests we can read (never fatal). Reported at most once a second:
 * `count` is how many since the previous report, `from` and `reason` describe the latest.
 */
export const PacketRejectedEvent = z.object({
  type: z.literal('packet-rejected'),
  ...eventBase,
  from: z.string(),
  reason: z.string(),
  count: z.number().int().positive(),
});
export type PacketRejectedEvent = z.infer<typeof PacketRejectedEvent>;

export const CaptureMatch = z.enum(['system-guid', 'system-guid-byte-swapped', 'first-new-mac-after-power-on']);
export type CaptureMatch = z.infer<typeof CaptureMatch>;

/** A capture session bound a node to a MAC. `first-new-mac-after-power-on` is a guess the UI must flag. */
export const CaptureBoundEvent = z.object({
  type: z.literal('capture-bound'),
  time: z.string().datetime(),
  nodeId: z.string(),
  mac: MacAddress,
  uuid: z.string().nullable(),
  arch: ClientArch,
  match: CaptureMatch,
});
export type CaptureBoundEvent = z.infer<typeof CaptureBoundEvent>;

export const DhcpServerEvent = z.discriminatedUnion('type', [
  PxeRequestEvent,
  DhcpReplyEvent,
  LeaseGrantedEvent,
  RequestIgnoredEvent,
  PacketRejectedEvent,
]);
export type DhcpServerEvent = z.infer<typeof DhcpServerEvent>;

export const Lease = z.object({
  mac: MacAddress,
  address: ipv4,
  nodeId: z.string().nullable(),
  state: z.enum(['offered', 'bound']),
  /** Milliseconds since the epoch. */
  expiresAt: z.number().int(),
});
export type Lease = z.infer<typeof Lease>;

/**
 * IPv6 router advertisements (router lifetime 0) on the provisioning interface: iPXE then starts its boot script at
 * once instead of waiting ~13 s for IPv6. On by default; off leaves IPv6 on the segment alone.
 */
export const RouterAdvertisementSettings = z.object({ routerAdvertisements: z.boolean().default(true) });
export type RouterAdvertisementSettings = z.infer<typeof RouterAdvertisementSettings>;

export const RouterAdvertiserProblem = z.enum(['unsupported-platform', 'dnsmasq-missing', 'no-interface', 'not-permitted', 'address-failed', 'dnsmasq-failed']);
export type RouterAdvertiserProblem = z.infer<typeof RouterAdvertiserProblem>;

/** The router advertiser's state changes: running (with the ULA prefix it advertises), stopped, or failed and why. */
export const RouterAdvertiserEvent = z.object({
  type: z.literal('router-advertiser'),
  ...eventBase,
  state: z.enum(['running', 'stopped', 'failed']),
  /** The advertised /64, e.g. fd3c:1a2b:4c5d::; null when not running. */
  prefix: z.string().nullable(),
  problem: RouterAdvertiserProblem.nullable(),
  /** For the technician: what happened and what to do; null when running or stopped on request. */
  message: z.string().nullable(),
});
export type RouterAdvertiserEvent = z.infer<typeof RouterAdvertiserEvent>;
