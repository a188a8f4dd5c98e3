// Transfer events of the PXE file services (TFTP and HTTP boot), pushed to the UI as they happen.
import { z } from 'zod';

/**
 * `refused`: the request never became a transfer (file not found, outside the root, server busy).
 * `failed`: a transfer that had started stopped before the last byte (timeout, client error, read error).
 */
export const transferPhaseSchema = z.enum(['started', 'progress', 'done', 'failed', 'refused']);
export type TransferPhase = z.infer<typeof transferPhaseSchema>;

export const transferClientSchema = z.object({
  address: z.string(),
  port: z.number().int().min(0).max(65535),
});
export type TransferClient = z.infer<typeof transferClientSchema>;

export const tftpTransferEventSchema = z.object({
  kind: z.literal('tftp-transfer'),
  /** Unique per transfer; all events of one transfer share it. */
  id: z.string(),
  phase: transferPhaseSchema,
  client: transferClientSchema,
  /** The name the client asked for, as sent. */
  file: z.string(),
  /** Bytes the client has acknowledged. */
  bytes: z.number().int().nonnegative(),
  /** File size in bytes; 0 when the request was refused before the file was known. */
  total: z.number().int().nonnegative(),
  blksize: z.number().int().positive(),
  windowsize: z.number().int().positive(),
  /** Epoch milliseconds. */
  at: z.number(),
  /** What went wrong, for `failed` and `refused`; worded for a technician. */
  error: z.string().optional(),
});
export type TftpTransferEvent = z.infer<typeof tftpTransferEventSchema>;

export const httpTransferEventSchema = z.object({
  kind: z.literal('http-transfer'),
  id: z.string(),
  phase: transferPhaseSchema,
  client: transferClientSchema,
  /** The node's MAC (lower-case, colon-separated) when the request or the address identifies it. */
  mac: z.string().nullable(),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  /** Body bytes written so far. */
  bytes: z.number().int().nonnegative(),
  /** Body bytes this response will carry (the range length for 206); null when not known in advance. */
  total: z.number().int().nonnegative().nullable(),
  at: z.number(),
  error: z.string().optional(),
});
export type HttpTransferEvent = z.infer<typeof httpTransferEventSchema>;

export const pxeTransferEventSchema = z.discriminatedUnion('kind', [tftpTransferEventSchema, httpTransferEventSchema]);
export type PxeTransferEvent = z.infer<typeof pxeTransferEventSchema>;
