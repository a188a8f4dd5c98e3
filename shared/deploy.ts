import { z } from 'zod';

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

/** An OS image in the local library. For gzip images, rawSize/rawSha256 describe the bytes that land on the disk. */
export const imageSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  format: z.enum(['raw', 'gzip']),
  size: z.number().int().min(0),
  rawSize: z.number().int().min(0),
  rawSha256: z.string().regex(/^[0-9a-f]{64}$/),
  bootMode: bootModeSchema,
  addedAt: z.string(),
});
export type Image = z.infer<typeof imageSchema>;
