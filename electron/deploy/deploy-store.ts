import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { deployRecordSchema, type DeployRecord } from '../../shared/deploy';
import { ID_PATTERN } from '../../shared/ids';
import { readJsonFile, removeStaleTemporaries, writeFileAtomic } from '../lib/atomic-file';
import { applyDeployEvent, type DeployEvent } from './state-machine';

const storeFileSchema = z.object({ version: z.literal(1), records: z.array(deployRecordSchema) });

export const DEPLOYS_FILE = 'deploys.json';
export const DEPLOY_LOG_DIR = 'deploy-logs';

export const deployLogLineSchema = z.object({
  time: z.string(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  source: z.string(),
  message: z.string(),
});
export type DeployLogLine = z.infer<typeof deployLogLineSchema>;

/**
 * Deploy state per node, written atomically on every transition, and an append-only log per node. A deploy that was
 * running when the process died is found on open and marked failed where it stopped, so the operator can retry it.
 */
export class DeployStore {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dataDir: string,
    private readonly records: Map<string, DeployRecord>,
  ) {}

  static async open(dataDir: string): Promise<DeployStore> {
    await removeStaleTemporaries(path.join(dataDir, DEPLOYS_FILE));
    const raw = await readJsonFile(path.join(dataDir, DEPLOYS_FILE));
    const parsed = raw === undefined ? { version: 1 as const, records: [] } : storeFileSchema.parse(raw);
    const store = new DeployStore(dataDir, new Map(parsed.records.map((record) => [record.nodeId, record])));
    const interrupted = parsed.records.filter((record) => record.status === 'running');
    for (const record of interrupted) {
      await store.apply(record.nodeId, {
        kind: 'fail',
        reason: `Rackboot stopped while this node was in ${record.phase} (the app was closed or crashed); retry to resume.`,
        at: new Date().toISOString(),
      });
    }
    return store;
  }

  get(nodeId: string): DeployRecord | undefined {
    return this.records.get(nodeId);
  }

  list(): DeployRecord[] {
    return [...this.records.values()];
  }

  /** Applies one event and persists the result before returning it. */
  apply(nodeId: string, event: DeployEvent, initial?: DeployRecord): Promise<DeployRecord> {
    const run = this.writes.then(async () => {
      const current = this.records.get(nodeId) ?? initial;
      if (!current) throw new Error(`no deploy record for node ${nodeId}`);
      const next = applyDeployEvent(current, event);
      if (next !== current) {
        const records = new Map(this.records).set(nodeId, next);
        await writeFileAtomic(
          path.join(this.dataDir, DEPLOYS_FILE),
          `${JSON.stringify({ version: 1, records: [...records.values()] })}\n`,
        );
        this.records.set(nodeId, next);
      }
      return next;
    });
    this.writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Appends a log line and syncs it: a line the operator saw is a line that survives a crash. */
  async appendLog(nodeId: string, line: DeployLogLine): Promise<void> {
    const file = this.logFile(nodeId);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'a', 0o600);
    try {
      await handle.appendFile(`${JSON.stringify(line)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** The node's log; a line torn by a crash mid-write is skipped, never fatal. */
  async readLog(nodeId: string): Promise<DeployLogLine[]> {
    const text = await fs.readFile(this.logFile(nodeId), 'utf8').catch(() => '');
    const lines: DeployLogLine[] = [];
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        const parsed = deployLogLineSchema.safeParse(JSON.parse(raw));
        if (parsed.success) lines.push(parsed.data);
      } catch {
        // torn last line
      }
    }
    return lines;
  }

  /** The node's log file; an id that is not one Rackboot makes never becomes a path (`../x` would leave the folder). */
  private logFile(nodeId: string): string {
    if (!ID_PATTERN.test(nodeId)) throw new Error(`Not a node id: ${JSON.stringify(nodeId.slice(0, 80))}.`);
    return path.join(this.dataDir, DEPLOY_LOG_DIR, `${nodeId}.jsonl`);
  }
}
