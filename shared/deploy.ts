import { z } from 'zod';
import { ipv4Schema } from './ipv4';
import { answerPolicySchema, dhcpModeSchema } from './pxe';

/** The deploy phases of one node, in order (Ironic agent_ipmitool flow, see docs/architecture.md). */
export const DEPLOY_PHASES = [
  'enrolled',
  'bmc-verified',
  'mac-captured',
  'booting-pxe',
  'dhcp',
  'bootloader',
  'ramdisk',
  'agent-connected',
  'writing-image',
  'verifying',
  'switching-to-disk',
  'rebooting',
  'deployed',
] as const;
export const deployPhaseSchema = z.enum(DEPLOY_PHASES);
export type DeployPhase = z.infer<typeof deployPhaseSchema>;

export const deployStatusSchema = z.enum(['idle', 'running', 'failed', 'cancelled', 'deployed']);
export type DeployStatus = z.infer<typeof deployStatusSchema>;

export const phaseEntrySchema = z.object({ phase: deployPhaseSchema, at: z.string() });

export const deployRecordSchema = z.object({
  nodeId: z.string(),
  deployId: z.string(),
  imageId: z.string().nullable(),
  status: deployStatusSchema,
  phase: deployPhaseSchema,
  /** Set when status is failed: the phase that failed and why, in words for the technician. */
  failure: z.object({ phase: deployPhaseSchema, reason: z.string(), at: z.string() }).nullable(),
  history: z.array(phaseEntrySchema),
  bytesWritten: z.number().int().min(0),
  bytesTotal: z.number().int().min(0),
  startedAt: z.string(),
  updatedAt: z.string(),
});
export type DeployRecord = z.infer<typeof deployRecordSchema>;

export const bootModeSchema = z.enum(['bios', 'uefi']);
export type BootMode = z.infer<typeof bootModeSchema>;

/** The image formats Rackboot reads, recognised by their first bytes (electron/deploy/images/detect.ts). */
export const imageFormatSchema = z.enum(['raw', 'gzip', 'xz', 'zstd', 'qcow2']);
export type ImageFormat = z.infer<typeof imageFormatSchema>;

/**
 * An OS image in the local library, measured once when added: the disk it describes (virtual size), the part of it
 * that holds data (what is sent and written; the rest is zeroed on the target) and the file's own sha256.
 */
export const imageSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  format: imageFormatSchema,
  /** Bytes of the file. */
  size: z.number().int().min(0),
  /** sha256 of the file as it is (what a vendor's SHA256SUMS lists). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Bytes of the disk the image describes. */
  virtualSize: z.number().int().min(0),
  /** Bytes of it that hold data: allocated and not in a zero run of 1 MiB or more. */
  dataSize: z.number().int().min(0),
  /** Data extents (stretches between holes). */
  extentCount: z.number().int().min(0),
  /** sha256 of the data extents one after the other: what the agent reads back from the disk. */
  dataSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The checksum the operator gave matched the file's sha256 (null: none was given). */
  checksumMatched: z.boolean().nullable().default(null),
  /** The file's modification time when it was measured: an unchanged file is not hashed again. */
  mtimeMs: z.number().default(0),
  bootMode: bootModeSchema,
  addedAt: z.string(),
});
export type Image = z.infer<typeof imageSchema>;

/**
 * Where the deploy ramdisk comes from: the one the app carries (`builtin`, the default: Debian's kernel with every
 * storage and network driver and their firmware, built by `npm run ramdisk`), the agent appended to an initrd the
 * operator gives (it must carry busybox), or a complete ramdisk built from a kernel's modules (an unpacked
 * linux-image package or its .deb) and a static busybox.
 */
export const ramdiskSettingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('builtin') }),
  z.object({ kind: z.literal('append'), kernel: z.string().min(1), initrd: z.string().min(1) }),
  z.object({ kind: z.literal('build'), kernel: z.string().min(1), modules: z.string().min(1), busybox: z.string().min(1) }),
]);
export type RamdiskSetting = z.infer<typeof ramdiskSettingSchema>;

/** What the built-in ramdisk holds (its manifest.json, written by scripts/build-ramdisk.ts). */
export const builtinRamdiskManifestSchema = z.object({
  /** Changes with every input of the build (packages, driver rule, builder): names the cached build. */
  key: z.string().regex(/^[0-9a-f]{16,64}$/),
  distribution: z.string(),
  /** uname -r, e.g. 6.1.0-57-amd64 */
  kernelRelease: z.string(),
  /** The kernel's upstream version, e.g. 6.1.158 */
  kernelVersion: z.string(),
  /** Storage and network drivers by the driver rule, and all modules carried (with their dependencies). */
  drivers: z.number().int().min(0),
  modules: z.number().int().min(0),
  firmwareFiles: z.number().int().min(0),
  /** Firmware names the modules give that no package taken holds. */
  firmwareMissing: z.array(z.string()),
  kernelBytes: z.number().int().min(0),
  /** The initrd the server boots: busybox and the module index. */
  initrdBytes: z.number().int().min(0),
  /** The driver modules and firmware files; each server is sent those its devices match. */
  driversBytes: z.number().int().min(0),
  packages: z.array(z.object({ name: z.string(), version: z.string(), sha256: z.string() })),
  /** Whether the archive's InRelease signature was checked with the Debian archive keyring (gpgv). */
  signatureChecked: z.boolean(),
});
export type BuiltinRamdiskManifest = z.infer<typeof builtinRamdiskManifestSchema>;

/** The built-in ramdisk as the wizard shows it: what it holds, or why it is not there and how to make it. */
export const builtinRamdiskStatusSchema = z.discriminatedUnion('available', [
  z.object({ available: z.literal(true), manifest: builtinRamdiskManifestSchema }),
  z.object({ available: z.literal(false), reason: z.string() }),
]);
export type BuiltinRamdiskStatus = z.infer<typeof builtinRamdiskStatusSchema>;

export const deploySettingsSchema = z.object({
  ramdisk: ramdiskSettingSchema,
  /** The disk the agent writes to, or `auto` for the first disk it finds. */
  disk: z.string().regex(/^(auto|\/dev\/[A-Za-z0-9/_-]+)$/, 'a device such as /dev/sda, or auto'),
  /** What the installed OS prints on its serial console once it is up (a regular expression). */
  upMarker: z.string().min(1),
  /** Deploys running at once. */
  concurrency: z.number().int().min(1).max(64),
});
export type DeploySettings = z.infer<typeof deploySettingsSchema>;

export const DEFAULT_DEPLOY_SETTINGS: DeploySettings = { ramdisk: { kind: 'builtin' }, disk: 'auto', upMarker: 'login:', concurrency: 4 };

export const servicesConfigSchema = z.object({
  interfaceName: z.string().min(1),
  address: ipv4Schema,
  prefixLength: z.number().int().min(8).max(30),
  mode: dhcpModeSchema,
  pool: z.object({ start: z.string(), end: z.string() }).optional(),
  answer: answerPolicySchema.default('enrolled'),
  httpPort: z.number().int().min(1).max(65535).default(8080),
  /** Harmless IPv6 router advertisements so iPXE starts ~15 s sooner (needs dnsmasq). */
  routerAdvertisements: z.boolean().default(true),
});
export type ServicesConfig = z.infer<typeof servicesConfigSchema>;

export const servicesStatusSchema = z.object({
  running: z.boolean(),
  config: servicesConfigSchema.nullable(),
  bootloaders: z.object({ found: z.array(z.string()), advice: z.string().nullable() }).nullable(),
});
export type ServicesStatus = z.infer<typeof servicesStatusSchema>;

/** Bytes of a file a server is fetching (boot loader, kernel, initrd, image), for the progress bars. */
export const transferProgressSchema = z.object({
  nodeId: z.string().nullable(),
  mac: z.string().nullable(),
  protocol: z.enum(['tftp', 'http']),
  file: z.string(),
  bytes: z.number(),
  total: z.number().nullable(),
  phase: z.enum(['started', 'progress', 'done', 'failed', 'refused']),
});
export type TransferProgress = z.infer<typeof transferProgressSchema>;

/** How a MAC capture tied a PXE client to a node: its System GUID matched the BMC's, or it was the first new MAC. */
export const matchedBySchema = z.enum(['system-guid', 'first-new-mac']);
export type MatchedBy = z.infer<typeof matchedBySchema>;
