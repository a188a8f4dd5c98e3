import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { interfaceAddressSchema, networkModeSchema } from '../../shared/network';
import { readJsonFile, writeFileAtomic } from '../lib/atomic-file';
import { routeEntrySchema } from './interfaces';

/** What the provisioning interface looked like before Rackboot touched it: everything undo puts back. */
export const priorStateSchema = z.object({
  interface: z.string(),
  adminUp: z.boolean(),
  master: z.string().nullable(),
  ipv4: z.array(interfaceAddressSchema),
  routes: z.array(routeEntrySchema),
  managedByNetworkManager: z.boolean().nullable(),
});
export type PriorState = z.infer<typeof priorStateSchema>;

export const journalSchema = z.object({
  version: z.literal(1),
  /** Which run of Rackboot wrote it, so a journal from a crashed run can be told from this run's own. */
  runId: z.string(),
  interface: z.string(),
  bridge: z.object({ name: z.string(), kind: z.enum(['linux', 'openvswitch']) }).nullable(),
  mode: networkModeSchema,
  address: z.string(),
  prefixLength: z.number().int(),
  prior: priorStateSchema,
  startedAt: z.string(),
  phase: z.enum(['applying', 'applied', 'undoing']),
  /** Steps begun so far: the journal is rewritten before each one starts. */
  stepsStarted: z.number().int().min(0),
  stepsTotal: z.number().int().min(0),
});
export type Journal = z.infer<typeof journalSchema>;

/**
 * The write-ahead record of a network change, one JSON file replaced atomically, so a kill -9 at any instant leaves
 * a journal that describes at least every change already made.
 */
export class NetworkJournal {
  constructor(readonly file: string) {}

  static inDataDir(dataDir: string): NetworkJournal {
    return new NetworkJournal(path.join(dataDir, 'network-journal.json'));
  }

  async read(): Promise<Journal | null> {
    const raw = await readJsonFile(this.file);
    if (raw === undefined) return null;
    const parsed = journalSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`The network journal ${this.file} is unreadable (${parsed.error.issues[0]?.message ?? 'bad format'}).`);
    }
    return parsed.data;
  }

  async write(journal: Journal): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(journal, null, 2)}\n`);
  }

  async clear(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}
