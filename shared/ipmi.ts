import { z } from 'zod';

/** The IPMI contract between the main process and the UI: what a BMC target is and what the BMC tells us. */

export const cipherSuiteChoiceSchema = z.union([z.literal('auto'), z.literal(3), z.literal(17)]);
export type CipherSuiteChoice = z.infer<typeof cipherSuiteChoiceSchema>;

export const ipmiPrivilegeSchema = z.enum(['administrator', 'operator', 'user']);
export type IpmiPrivilege = z.infer<typeof ipmiPrivilegeSchema>;

/** IPMI counts user names and passwords in bytes, and non-ASCII characters take several. */
const atMostBytes = (limit: number, what: string) =>
  z.string().refine((text) => new TextEncoder().encode(text).length <= limit, `${what} are at most ${limit} bytes`);

/** A BMC as the UI shows and stores it: everything except the password. */
export const ipmiTargetPublicSchema = z.object({
  address: z
    .string()
    .trim()
    .min(1, 'the BMC address is missing')
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$/, 'an IPv4 address like 10.1.91.4 or a host name'),
  port: z.number().int().min(1).max(65535).default(623),
  user: atMostBytes(16, 'IPMI user names'),
  cipherSuite: cipherSuiteChoiceSchema.default('auto'),
  privilege: ipmiPrivilegeSchema.default('administrator'),
});
export type IpmiTargetPublic = z.infer<typeof ipmiTargetPublicSchema>;

/** A BMC with its credentials; only the main process holds one of these. */
export const ipmiTargetSchema = ipmiTargetPublicSchema.extend({
  password: atMostBytes(20, 'IPMI 2.0 passwords'),
  /** BMC key (Kg), when the BMC has one set: up to 20 bytes of text, or up to 40 hex digits after 0x. */
  kg: z
    .string()
    .refine((kg) => /^0x([0-9a-f]{2}){1,20}$/i.test(kg) || (!kg.startsWith('0x') && new TextEncoder().encode(kg).length <= 20), 'a BMC key is up to 20 characters, or 0x and up to 40 hex digits')
    .optional(),
});
export type IpmiTargetInput = z.input<typeof ipmiTargetSchema>;
export type IpmiTarget = z.infer<typeof ipmiTargetSchema>;

export const deviceIdSchema = z.object({
  deviceId: z.number().int(),
  deviceRevision: z.number().int(),
  firmwareVersion: z.string(),
  ipmiVersion: z.string(),
  manufacturerId: z.number().int(),
  manufacturerName: z.string(),
  productId: z.number().int(),
  deviceAvailable: z.boolean(),
  providesDeviceSdrs: z.boolean(),
  auxFirmwareRevision: z.string(),
});
export type DeviceId = z.infer<typeof deviceIdSchema>;

export const systemGuidSchema = z.object({
  /** Decoded like SMBIOS (first three fields little-endian): compares equal to the server's SMBIOS UUID / PXE option 97. */
  uuid: z.string(),
  /** The 16 bytes exactly as the BMC sent them. */
  bytesHex: z.string(),
});
export type SystemGuid = z.infer<typeof systemGuidSchema>;

export const powerRestorePolicySchema = z.enum(['always-off', 'previous', 'always-on', 'unknown']);

export const chassisStatusSchema = z.object({
  powerOn: z.boolean(),
  powerOverload: z.boolean(),
  powerInterlock: z.boolean(),
  mainPowerFault: z.boolean(),
  powerControlFault: z.boolean(),
  restorePolicy: powerRestorePolicySchema,
  intrusion: z.boolean(),
  frontPanelLockout: z.boolean(),
  driveFault: z.boolean(),
  coolingFault: z.boolean(),
});
export type ChassisStatus = z.infer<typeof chassisStatusSchema>;

export const chassisActionSchema = z.enum(['on', 'off', 'cycle', 'reset', 'soft']);
export type ChassisAction = z.infer<typeof chassisActionSchema>;

export const bootDeviceKindSchema = z.enum([
  'none',
  'pxe',
  'disk',
  'disk-safe-mode',
  'diagnostic',
  'cdrom',
  'bios-setup',
  'remote-floppy',
  'remote-cdrom',
  'remote-media',
  'remote-disk',
  'floppy',
  'unknown',
]);
export type BootDeviceKind = z.infer<typeof bootDeviceKindSchema>;

export const settableBootDeviceSchema = z.enum(['none', 'pxe', 'disk', 'cdrom', 'bios-setup']);
export type SettableBootDevice = z.infer<typeof settableBootDeviceSchema>;

export const bootDeviceRequestSchema = z.object({
  device: settableBootDeviceSchema,
  /** Every future boot instead of only the next one. */
  persistent: z.boolean().default(false),
  /** UEFI instead of legacy BIOS boot. */
  efi: z.boolean().default(false),
});
export type BootDeviceRequest = z.input<typeof bootDeviceRequestSchema>;

export const bootDeviceSchema = z.object({
  device: bootDeviceKindSchema,
  persistent: z.boolean(),
  efi: z.boolean(),
  /** The BMC's boot-flags-valid bit: false means the BMC will ignore the device. */
  valid: z.boolean(),
});
export type BootDevice = z.infer<typeof bootDeviceSchema>;

export const lanConfigSchema = z.object({
  channel: z.number().int(),
  ipAddress: z.string(),
  ipSource: z.enum(['unspecified', 'static', 'dhcp', 'bios', 'other']),
  subnetMask: z.string(),
  macAddress: z.string(),
  defaultGateway: z.string(),
});
export type LanConfig = z.infer<typeof lanConfigSchema>;

export const ipmiErrorKindSchema = z.enum([
  'unreachable',
  'unknown-user',
  'wrong-password',
  'privilege-too-low',
  'cipher-unsupported',
  'bmc-busy',
  'wrong-bmc-key',
  'command-failed',
  'protocol',
]);
export type IpmiErrorKind = z.infer<typeof ipmiErrorKindSchema>;

/** An IPMI failure as it crosses to the UI: the message says what happened and what to do next. */
export const ipmiErrorInfoSchema = z.object({
  kind: ipmiErrorKindSchema,
  bmc: z.string(),
  message: z.string(),
});
export type IpmiErrorInfo = z.infer<typeof ipmiErrorInfoSchema>;

/** What an IPMI BMC told a discovery scan, before any login. */
export const discoveredIpmiBmcSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  /** Answered the RMCP presence ping (some BMCs answer only IPMI). */
  answersPresencePing: z.boolean(),
  /** '2.0' when the BMC supports RMCP+ (lanplus), else '1.5'. */
  ipmiVersion: z.enum(['1.5', '2.0']),
  /** IPMI v1.5 authentication types the channel offers. */
  authTypes: z.array(z.enum(['none', 'md2', 'md5', 'password', 'oem'])),
  anonymousLogin: z.boolean(),
  nullUserNames: z.boolean(),
  kgRequired: z.boolean(),
  /** RMCP+ cipher suite ids the BMC lists; empty when it does not answer Get Channel Cipher Suites. */
  cipherSuites: z.array(z.number().int()),
});
export type DiscoveredIpmiBmc = z.infer<typeof discoveredIpmiBmcSchema>;

export const discoveryProgressSchema = z.object({
  probed: z.number().int(),
  total: z.number().int(),
  found: z.number().int(),
});
export type DiscoveryProgress = z.infer<typeof discoveryProgressSchema>;
