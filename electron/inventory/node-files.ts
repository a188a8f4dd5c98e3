import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cleaningSchema, rootDeviceHintsSchema } from '../../shared/inventory';
import { instanceSettingsSchema } from '../../shared/instance';
import { bmcProtocolSchema, bmcProtocolSeenSchema, tlsTrustSchema } from '../../shared/redfish';
import { readJsonFile, removeStaleTemporaries, writeFileAtomic } from '../lib/atomic-file';
import { TimeSlicer } from './time-slicer';

export const storedNodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  bmcAddress: z.string(),
  bmcPort: z.number().int(),
  bmcUser: z.string(),
  sealedPassword: z.string(),
  mac: z.string().nullable(),
  systemGuid: z.string().nullable().default(null),
  notes: z.string(),
  rootDeviceHints: rootDeviceHintsSchema.nullable().default(null),
  eraseTargetDisk: z.boolean().default(false),
  cleaning: cleaningSchema.default('none'),
  inspectedAt: z.string().nullable().default(null),
  instance: instanceSettingsSchema.nullable().default(null),
  /** Nodes stored before Redfish were IPMI nodes: they stay so. */
  bmcProtocol: bmcProtocolSchema.default('ipmi'),
  redfishPort: z.number().int().default(443),
  redfishSystemId: z.string().nullable().default(null),
  tlsTrust: tlsTrustSchema.nullable().default(null),
  bmcProtocolSeen: bmcProtocolSeenSchema.nullable().default(null),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type StoredNode = z.infer<typeof storedNodeSchema>;

/** One change as the journal records it: a node's whole new state, or its removal. Replaying one twice is harmless. */
export type NodeChange = { put: StoredNode } | { remove: string };

const snapshotSchema = z.object({
  version: z.literal(1),
  secretScheme: z.string(),
  nodes: z.array(storedNodeSchema),
});

const journalLineSchema = z.object({
  changes: z.array(z.union([z.object({ put: storedNodeSchema }), z.object({ remove: z.string() })])),
});

export const NODES_FILE = 'nodes.json';
export const NODES_JOURNAL = 'nodes.journal';

/** Changes up to this many go to the journal; a bigger one (an import) rewrites the snapshot at once. */
const JOURNAL_CHANGES = 256;
/** The journal may grow to the snapshot's size (at least this) before it is folded into a new snapshot. */
const MIN_JOURNAL_BYTES = 256 * 1024;

/**
 * The inventory on disk: `nodes.json`, a snapshot, and `nodes.journal`, the changes made since, one line per change
 * set. A small change appends one line and syncs it, whatever the number of nodes; the journal is folded into a new
 * snapshot once it is as big as the snapshot, so the cost per change stays constant on average.
 * A kill -9 mid-append leaves a torn last line without its newline: that change was never acknowledged and is dropped.
 * A crash between a new snapshot and the journal's truncation replays changes already in the snapshot, which is
 * harmless as each change states a node's whole new state.
 */
export class NodeFiles {
  private journalBytes = 0;
  private snapshotBytes = 0;

  private constructor(
    private readonly snapshotFile: string,
    private readonly journalFile: string,
    private readonly secretScheme: string,
  ) {}

  /** Reads the snapshot and replays the journal; the result is folded into a fresh snapshot, so appends start clean. */
  static async open(dataDir: string, secretScheme: string): Promise<{ files: NodeFiles; nodes: Map<string, StoredNode> }> {
    const files = new NodeFiles(path.join(dataDir, NODES_FILE), path.join(dataDir, NODES_JOURNAL), secretScheme);
    await removeStaleTemporaries(files.snapshotFile);
    const nodes = new Map<string, StoredNode>();
    const snapshot = await readJsonFile(files.snapshotFile);
    if (snapshot !== undefined) {
      const parsed = snapshotSchema.safeParse(snapshot);
      if (!parsed.success) {
        throw new Error(`The node inventory ${files.snapshotFile} is not in a format this Rackboot understands; move it aside to start empty.`);
      }
      if (parsed.data.secretScheme !== secretScheme) {
        throw new Error(
          `The node inventory ${files.snapshotFile} was sealed with ${parsed.data.secretScheme} but this run uses ${secretScheme}; start Rackboot the same way (desktop or headless) as before.`,
        );
      }
      for (const node of parsed.data.nodes) nodes.set(node.id, node);
    }
    if (await files.replayJournal(nodes)) await files.rewrite(nodes.values());
    else if (snapshot !== undefined) files.snapshotBytes = (await fs.stat(files.snapshotFile)).size;
    return { files, nodes };
  }

  /** Persists one change set; `nodesAfter` is asked for the whole list only when a new snapshot is due. */
  async record(changes: NodeChange[], nodesAfter: () => Iterable<StoredNode>): Promise<void> {
    // The journal only ever extends a snapshot, which records the secret scheme its passwords are sealed with.
    if (this.snapshotBytes === 0 || changes.length > JOURNAL_CHANGES) return this.rewrite(nodesAfter());
    const line = `${JSON.stringify({ changes })}\n`;
    if (this.journalBytes + line.length > Math.max(this.snapshotBytes, MIN_JOURNAL_BYTES)) return this.rewrite(nodesAfter());
    const handle = await fs.open(this.journalFile, 'a', 0o600);
    try {
      await handle.write(line);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.journalBytes += Buffer.byteLength(line);
  }

  /** A new snapshot of `nodes`, then an empty journal. */
  private async rewrite(nodes: Iterable<StoredNode>): Promise<void> {
    let bytes = 0;
    const counted = async function* (chunks: AsyncIterable<string>): AsyncGenerator<string> {
      for await (const chunk of chunks) {
        bytes += Buffer.byteLength(chunk);
        yield chunk;
      }
    };
    await writeFileAtomic(this.snapshotFile, counted(snapshotChunks(this.secretScheme, nodes)));
    await fs.writeFile(this.journalFile, '', { mode: 0o600 });
    this.snapshotBytes = bytes;
    this.journalBytes = 0;
  }

  /** Applies the journal's complete lines to `nodes`; true when there was anything in it, torn or not. */
  private async replayJournal(nodes: Map<string, StoredNode>): Promise<boolean> {
    let text: string;
    try {
      text = await fs.readFile(this.journalFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const lines = text.split('\n');
    // Everything after the last newline is a line whose append never finished.
    lines.pop();
    lines.forEach((line, index) => {
      let parsed;
      try {
        parsed = journalLineSchema.parse(JSON.parse(line));
      } catch {
        throw new Error(`The node journal ${this.journalFile} is damaged at line ${index + 1}; move it aside to go back to the last snapshot (${NODES_FILE}).`);
      }
      for (const change of parsed.changes) {
        if ('put' in change) nodes.set(change.put.id, change.put);
        else nodes.delete(change.remove);
      }
    });
    return text.length > 0;
  }
}

/** How many nodes go into one chunk of a snapshot. */
const SNAPSHOT_CHUNK_NODES = 500;

/**
 * The snapshot's JSON, one node per line, in chunks written one after the other: the event loop gets a turn between
 * chunks, so writing the snapshot of a large inventory does not hold up other requests.
 */
async function* snapshotChunks(secretScheme: string, nodes: Iterable<StoredNode>): AsyncGenerator<string> {
  const slicer = new TimeSlicer();
  yield `${JSON.stringify({ version: 1, secretScheme }).slice(0, -1)},"nodes":[`;
  let chunk: string[] = [];
  let separator = '\n';
  const flush = (): string => {
    const text = `${separator}${chunk.join(',\n')}`;
    separator = ',\n';
    chunk = [];
    return text;
  };
  for (const node of nodes) {
    await slicer.pace();
    chunk.push(JSON.stringify(node));
    if (chunk.length === SNAPSHOT_CHUNK_NODES) yield flush();
  }
  if (chunk.length > 0) yield flush();
  yield separator === '\n' ? ']}\n' : '\n]}\n';
}
