import { z } from 'zod';
import { idSchema } from './ids';

/**
 * The hand-off to OpenStack Ironic: where its API is, how to sign in, and what each node went through. The BMC
 * passwords travel from the core to Ironic (or into the export file) only; none of these schemas carries one.
 */

const httpUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
      } catch {
        return false;
      }
    },
    { message: 'give the address as http://HOST:PORT or https://HOST:PORT (credentials go in the sign-in fields, not the URL)' },
  );

const accountName = z.string().trim().min(1, 'the user name is required').max(255);
/** The Ironic (or Keystone) password: the operator's own sign-in, never a BMC password. */
const accountPassword = z.string().max(1024);

export const ironicAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('noauth') }),
  z.object({ kind: z.literal('http_basic'), username: accountName, password: accountPassword }),
  z.object({
    kind: z.literal('keystone'),
    /** Keystone's identity endpoint, like https://keystone.example:5000 or …:5000/v3. */
    authUrl: httpUrlSchema,
    username: accountName,
    password: accountPassword,
    projectName: z.string().trim().min(1, 'the project name is required').max(255),
    userDomainName: z.string().trim().min(1).max(255).default('Default'),
    projectDomainName: z.string().trim().min(1).max(255).default('Default'),
  }),
]);
export type IronicAuth = z.input<typeof ironicAuthSchema>;

export const ironicConnectionSchema = z.object({
  /** Ironic's API endpoint, like http://ironic.example:6385 (the root, not /v1). */
  url: httpUrlSchema,
  auth: ironicAuthSchema,
  /** Check the API's TLS certificate (https only); off only for a lab Ironic with a self-signed one. */
  verifyTls: z.boolean().default(true),
});
export type IronicConnection = z.input<typeof ironicConnectionSchema>;

/** What one node went through on its way into Ironic. */
export const ironicStepSchema = z.enum([
  /** Waiting for a free slot (enrolment runs a bounded number of nodes at once). */
  'queued',
  /** Creating or updating the node and its port. */
  'sending',
  /** Created or updated, and left as it is (the operator did not ask Ironic to check the BMC). */
  'sent',
  /** Ironic was asked to `manage` it and is checking the BMC credentials. */
  'verifying',
  /** Ironic reached the BMC: the node is `manageable` (or further along, from an earlier hand-off). */
  'manageable',
  'failed',
]);
export type IronicStep = z.infer<typeof ironicStepSchema>;

export const ironicNodeProgressSchema = z.object({
  nodeId: z.string(),
  name: z.string(),
  step: ironicStepSchema,
  /** What the hand-off did to Ironic's record: made it, changed fields of it, or found it already as Rackboot has it. */
  change: z.enum(['created', 'updated', 'unchanged']).nullable(),
  ironicUuid: z.string().nullable(),
  provisionState: z.string().nullable(),
  /** Ironic's own last_error, as it said it. */
  lastError: z.string().nullable(),
  /** The outcome in plain words, with what to do next when it failed. */
  message: z.string(),
});
export type IronicNodeProgress = z.infer<typeof ironicNodeProgressSchema>;

export const ironicEnrollRequestSchema = z.object({
  connection: ironicConnectionSchema,
  nodeIds: z.array(idSchema).min(1, 'choose at least one server to hand off').max(10_000),
  /** Have Ironic check each BMC (`manage`) and follow it to `manageable`; off: only create or update the records. */
  manage: z.boolean().default(true),
});

export const ironicEnrollResultSchema = z.object({
  /** The microversion both sides agreed on. */
  apiVersion: z.string(),
  nodes: z.array(ironicNodeProgressSchema),
});
export type IronicEnrollResult = z.infer<typeof ironicEnrollResultSchema>;

export const ironicExportRequestSchema = z.object({
  nodeIds: z.array(idSchema).min(1, 'choose at least one server to export').max(10_000),
  includePasswords: z.boolean().default(false),
});

export const ironicImportRequestSchema = z.object({
  connection: ironicConnectionSchema,
  /** Only these Ironic node names (or UUIDs); empty: every node Ironic lists. */
  names: z.array(z.string().trim().min(1).max(255)).max(10_000).default([]),
});

export const ironicImportResultSchema = z.object({
  /** Names of the servers added to Rackboot's inventory. Their BMC password is empty: Ironic never gives it out. */
  added: z.array(z.string()),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
});
export type IronicImportResult = z.infer<typeof ironicImportResultSchema>;
