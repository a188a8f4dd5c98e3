// PXE / DHCP contract between the main process and the UI: configuration, events and probe results.
import { z } from 'zod';
import { ipv4Schema } from './ipv4';
import { canonicalMacSchema } from './mac';

const ipv4 = ipv4Schema;
/** Lower-case, colon-separated, e.g. 52:54:00:12:34:56. */

/** Firmware families from DHCP option 93 (RFC 4578 and the IANA processor architecture registry). */
export const clientArchSchema = z.enum(['bios', 'uefi-ia32', 'uefi-x64', 'uefi-arm32', 'uefi-arm64', 'uefi-x64-http', 'uefi-arm64-http', 'unknown']);
export type ClientArch = z.infer<typeof clientArchSchema>;

export const dhcpModeSchema = z.enum(['full', 'proxy']);
export type DhcpMode = z.infer<typeof dhcpModeSchema>;

/** Whom the server answers: enrolled machines only (default) or every PXE client. */
export const answerPolicySchema = z.enum(['enrolled', 'all-pxe']);
export type AnswerPolicy = z.infer<typeof answerPolicySchema>;

export const bootFilesSchema = z.object({
  bios: z.string().default('undionly.kpxe'),
  uefiIa32: z.string().default('ipxe.efi'),
  uefiX64: z.string().default('snponly.efi'),
  uefiArm64: z.string().default('ipxe-arm64.efi'),
});
export type BootFiles = z.infer<typeof bootFilesSchema>;

export const addressPoolSchema = z.object({
  start: ipv4,
  end: ipv4,
  subnetMask: ipv4,
  leaseSeconds: z.number().int().positive().default(3600),
  router: ipv4.nullable().default(null),
  dnsServers: z.array(ipv4).default([]),
});
export type AddressPool = z.infer<typeof addressPoolSchema>;

export const dhcpSettingsSchema = z.object({
  interfaceName: z.string().min(1),
  serverAddress: ipv4,
  mode: dhcpModeSchema,
  answer: answerPolicySchema.default('enrolled'),
  /** Required in full mode; ignored in proxy mode. */
  pool: addressPoolSchema.nullable().default(null),
  bootFiles: bootFilesSchema.default(bootFilesSchema.parse({})),
});
export type DhcpSettings = z.infer<typeof dhcpSettingsSchema>;

const eventBase = { time: z.string().datetime(), interface: z.string() };

/** One PXE (or iPXE) DISCOVER/REQUEST seen on the provisioning interface. */
export const pxeRequestEventSchema = z.object({
  type: z.literal('pxe-request'),
  ...eventBase,
  mac: canonicalMacSchema,
  /** Option 97 as sent, canonical 8-4-4-4-12 lower-case hex; null when absent or malformed. */
  uuid: z.string().nullable(),
  arch: clientArchSchema,
  archCode: z.number().int().nullable(),
  vendorClass: z.string().nullable(),
  userClass: z.string().nullable(),
  isIpxe: z.boolean(),
  messageType: z.enum(['discover', 'request', 'inform']),
  /** 67 for broadcast DHCP, 4011 for proxyDHCP boot server requests. */
  port: z.number().int(),
});
export type PxeRequestEvent = z.infer<typeof pxeRequestEventSchema>;

export const bootTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tftp'), nextServer: ipv4, file: z.string() }),
  z.object({ kind: z.literal('http'), url: z.string() }),
]);
export type BootTarget = z.infer<typeof bootTargetSchema>;

export const dhcpReplyEventSchema = z.object({
  type: z.literal('dhcp-reply'),
  ...eventBase,
  mac: canonicalMacSchema,
  messageType: z.enum(['offer', 'ack', 'nak']),
  mode: dhcpModeSchema,
  nodeId: z.string().nullable(),
  /** Null in proxy mode and for NAKs. */
  address: ipv4.nullable(),
  boot: bootTargetSchema.nullable(),
});
export type DhcpReplyEvent = z.infer<typeof dhcpReplyEventSchema>;

export const leaseGrantedEventSchema = z.object({
  type: z.literal('lease-granted'),
  ...eventBase,
  mac: canonicalMacSchema,
  nodeId: z.string().nullable(),
  address: ipv4,
  expiresAt: z.string().datetime(),
});
export type LeaseGrantedEvent = z.infer<typeof leaseGrantedEventSchema>;

export const ignoreReasonSchema = z.enum([
  'unknown-machine',
  'not-pxe',
  'pool-exhausted',
  'other-server-chosen',
  'unsupported-message',
  'relayed',
]);
export type IgnoreReason = z.infer<typeof ignoreReasonSchema>;

export const requestIgnoredEventSchema = z.object({
  type: z.literal('request-ignored'),
  ...eventBase,
  mac: canonicalMacSchema,
  reason: ignoreReasonSchema,
});
export type RequestIgnoredEvent = z.infer<typeof requestIgnoredEventSchema>;

/**
 * Datagrams on a DHCP port that are not DHCP requests we can read (never fatal). Reported at most once a second:
 * `count` is how many since the previous report, `from` and `reason` describe the latest.
 */
export const packetRejectedEventSchema = z.object({
  type: z.literal('packet-rejected'),
  ...eventBase,
  from: z.string(),
  reason: z.string(),
  count: z.number().int().positive(),
});
export type PacketRejectedEvent = z.infer<typeof packetRejectedEventSchema>;

export const captureMatchSchema = z.enum(['system-guid', 'system-guid-byte-swapped', 'first-new-mac-after-power-on']);
export type CaptureMatch = z.infer<typeof captureMatchSchema>;

/** A capture session bound a node to a MAC. `first-new-mac-after-power-on` is a guess the UI must flag. */
export const captureBoundEventSchema = z.object({
  type: z.literal('capture-bound'),
  time: z.string().datetime(),
  nodeId: z.string(),
  mac: canonicalMacSchema,
  uuid: z.string().nullable(),
  arch: clientArchSchema,
  match: captureMatchSchema,
});
export type CaptureBoundEvent = z.infer<typeof captureBoundEventSchema>;

export const dhcpServerEventSchema = z.discriminatedUnion('type', [
  pxeRequestEventSchema,
  dhcpReplyEventSchema,
  leaseGrantedEventSchema,
  requestIgnoredEventSchema,
  packetRejectedEventSchema,
]);
export type DhcpServerEvent = z.infer<typeof dhcpServerEventSchema>;

export const leaseSchema = z.object({
  mac: canonicalMacSchema,
  address: ipv4,
  nodeId: z.string().nullable(),
  state: z.enum(['offered', 'bound']),
  /** Milliseconds since the epoch. */
  expiresAt: z.number().int(),
});
export type Lease = z.infer<typeof leaseSchema>;

/**
 * IPv6 router advertisements (router lifetime 0) on the provisioning interface: iPXE then starts its boot script at
 * once instead of waiting ~13 s for IPv6. On by default; off leaves IPv6 on the segment alone.
 */
export const routerAdvertisementSettingsSchema = z.object({ routerAdvertisements: z.boolean().default(true) });
export type RouterAdvertisementSettings = z.infer<typeof routerAdvertisementSettingsSchema>;

export const routerAdvertiserProblemSchema = z.enum(['unsupported-platform', 'dnsmasq-missing', 'no-interface', 'not-permitted', 'address-failed', 'dnsmasq-failed']);
export type RouterAdvertiserProblem = z.infer<typeof routerAdvertiserProblemSchema>;

/** The router advertiser's state changes: running (with the ULA prefix it advertises), stopped, or failed and why. */
export const routerAdvertiserEventSchema = z.object({
  type: z.literal('router-advertiser'),
  ...eventBase,
  state: z.enum(['running', 'stopped', 'failed']),
  /** The advertised /64, e.g. fd3c:1a2b:4c5d::; null when not running. */
  prefix: z.string().nullable(),
  problem: routerAdvertiserProblemSchema.nullable(),
  /** For the technician: what happened and what to do; null when running or stopped on request. */
  message: z.string().nullable(),
});
export type RouterAdvertiserEvent = z.infer<typeof routerAdvertiserEventSchema>;
