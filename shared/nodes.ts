import { z } from 'zod';
import { IPV4_PATTERN } from './ipv4';
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/** Lower-case, colon-separated: the one spelling of a MAC address inside Rackboot. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

export const bmcAddressSchema = z
  .string()
  .trim()
  .refine((value) => (/^[\d.]+$/.test(value) ? IPV4_PATTERN.test(value) : HOSTNAME.test(value)), {
    message: 'BMC address must be an IPv4 address (like 10.1.91.4) or a host name',
  });

export const macSchema = z
  .string()
  .trim()
  .refine((value) => MAC.test(value), { message: 'MAC must look like 00:1b:24:78:4c:b2' })
  .transform(normalizeMac);

export const portSchema = z.number().int().min(1, 'port must be 1–65535').max(65535, 'port must be 1–65535');

const nodeFields = {
  name: z.string().trim().min(1, 'name is required').max(64, 'name is at most 64 characters'),
  bmcAddress: bmcAddressSchema,
  bmcPort: portSchema,
  bmcUser: z.string().min(1, 'BMC user is required').max(16, 'IPMI user names are at most 16 characters'),
  mac: macSchema.nullable(),
  notes: z.string().max(2000),
};

/** What the operator types to enrol a server. The password is write-only: it never comes back out of the core. */
export const nodeInputSchema = z.object({
  ...nodeFields,
  bmcPort: portSchema.default(623),
  mac: macSchema.nullable().default(null),
  notes: z.string().max(2000).default(''),
  bmcPassword: z.string().max(20, 'IPMI 2.0 passwords are at most 20 characters'),
});
export type NodeInput = z.input<typeof nodeInputSchema>;

/** A change to an enrolled node; an absent bmcPassword keeps the stored one. */
export const nodeUpdateSchema = z.object({
  id: z.string().min(1),
  changes: z
    .object({ ...nodeFields, bmcPassword: z.string().max(20, 'IPMI 2.0 passwords are at most 20 characters') })
    .partial(),
});
export type NodeUpdate = z.input<typeof nodeUpdateSchema>;

/** A node as the renderer sees it: everything but the password. */
export const nodeViewSchema = z.object({
  id: z.string(),
  ...nodeFields,
  /** The BMC's System GUID, read at the last connection test; the PXE ROM sends the same UUID in DHCP option 97. */
  systemGuid: z.string().nullable(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type NodeView = z.infer<typeof nodeViewSchema>;

export const importProblemSchema = z.object({
  line: z.number().int().min(1),
  text: z.string(),
  reason: z.string(),
});
export type ImportProblem = z.infer<typeof importProblemSchema>;

export const importResultSchema = z.object({
  added: z.array(nodeViewSchema),
  problems: z.array(importProblemSchema),
});
export type ImportResult = z.infer<typeof importResultSchema>;

export const exportResultSchema = z.object({
  text: z.string(),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
});
export type ExportResult = z.infer<typeof exportResultSchema>;
