import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { uploadIdSchema, uploadStartSchema, type UploadStart, type UploadStatus } from '../../shared/uploads';
import { readJsonFile, removeStaleTemporaries, writeFileAtomic } from './atomic-file';
import { UserFacingError } from './user-facing-error';

const recordSchema = z.object({
  version: z.literal(1),
  id: uploadIdSchema,
  name: z.string(),
  size: z.number().int().min(1),
  lastModified: z.number().int(),
  expectedSha256: z.string().nullable(),
  /** Set once every byte arrived and the checksum was accepted. */
  sha256: z.string().nullable(),
  createdAt: z.string(),
});
type UploadRecord = z.infer<typeof recordSchema>;

/** An upload nobody continued for this long is removed when the store opens. */
const ABANDONED_AFTER_MS = 7 * 24 * 3600 * 1000;

export interface UploadStoreOptions {
  /** The largest file accepted. */
  maxBytes: number;
  /** Bytes free where uploads are kept; tests replace it. */
  freeBytes?: (dir: string) => Promise<number>;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** A PUT that does not start where the core's copy ends; the answer carries what the core holds. */
export class UploadOffsetMismatch extends UserFacingError {
  constructor(readonly status: UploadStatus) {
    super('upload-offset', `The server holds ${status.received} bytes of ${status.name}; continue from there.`);
  }
}

async function freeBytesOf(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Files the browser uploads into the data folder (headless mode: the page cannot hand the core a laptop path). Bytes
 * go straight from the request to `<id>.part` and into a running SHA-256, never held whole in memory; an upload cut off
 * continues from the bytes on disk (the part file's size is what the core holds, even after a restart); once all bytes
 * are in, a checksum the operator gave is compared, and a mismatch removes the file. The client never names a path:
 * the file lands in `<dir>/<id>/<name>`, with the id ours and the name checked to be a plain file name.
 */
export class UploadStore {
  /** The running hash of each part file and how many of its bytes it has seen, while this process lives. */
  private readonly hashes = new Map<string, { hash: Hash; hashed: number }>();
  private readonly busy = new Set<string>();

  private constructor(
    private readonly dir: string,
    private readonly records: Map<string, UploadRecord>,
    private readonly options: UploadStoreOptions,
  ) {}

  static async open(dir: string, options: UploadStoreOptions): Promise<UploadStore> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const records = new Map<string, UploadRecord>();
    const store = new UploadStore(dir, records, options);
    for (const name of await fs.readdir(dir)) {
      const id = /^([0-9a-f]{32})\.json$/.exec(name)?.[1];
      if (!id) continue;
      await removeStaleTemporaries(store.recordFile(id));
      const parsed = recordSchema.safeParse(await readJsonFile(store.recordFile(id)).catch(() => undefined));
      const partExists = parsed.success && (parsed.data.sha256 !== null || (await fs.stat(store.partFile(id)).catch(() => null)) !== null);
      const abandoned = parsed.success && parsed.data.sha256 === null && Date.now() - Date.parse(parsed.data.createdAt) > ABANDONED_AFTER_MS;
      if (!parsed.success || !partExists || abandoned) await store.removeFiles(id);
      else records.set(id, parsed.data);
    }
    return store;
  }

  /**
   * Starts an upload, or finds the unfinished one of the same file (name, size, modification time and expected
   * checksum) so the page continues where the core's copy ends.
   */
  async begin(start: UploadStart): Promise<UploadStatus> {
    const request = uploadStartSchema.parse(start);
    const expected = request.sha256 ?? null;
    for (const record of this.records.values()) {
      const same =
        record.sha256 === null &&
        record.name === request.name &&
        record.size === request.size &&
        record.lastModified === request.lastModified &&
        record.expectedSha256 === expected;
      if (same) return this.status(record.id);
    }
    if (request.size > this.options.maxBytes) {
      throw new UserFacingError(
        'upload-too-large',
        `${request.name} is ${request.size} bytes; Rackboot accepts files up to ${this.options.maxBytes} bytes.`,
      );
    }
    const free = await (this.options.freeBytes ?? freeBytesOf)(this.dir);
    if (request.size > free) {
      throw new UserFacingError(
        'upload-no-space',
        `${request.name} needs ${request.size} bytes but the data folder (${this.dir}) has ${free} free: free some space and upload again.`,
      );
    }
    const record: UploadRecord = {
      version: 1,
      id: randomBytes(16).toString('hex'),
      name: request.name,
      size: request.size,
      lastModified: request.lastModified,
      expectedSha256: expected,
      sha256: null,
      createdAt: new Date().toISOString(),
    };
    await fs.writeFile(this.partFile(record.id), new Uint8Array(0), { mode: 0o600 });
    await this.saveRecord(record);
    return this.status(record.id);
  }

  /** What the core holds of an upload. */
  async status(id: string): Promise<UploadStatus> {
    const record = this.record(id);
    if (record.sha256 !== null) {
      return { id, name: record.name, size: record.size, received: record.size, complete: true, sha256: record.sha256, path: this.finalFile(record) };
    }
    const received = (await fs.stat(this.partFile(id))).size;
    return { id, name: record.name, size: record.size, received, complete: false, sha256: null, path: null };
  }

  /**
   * Writes `body` at `offset`, which must be where the core's copy ends; stops at the first error of the body (a cut
   * connection), keeping every byte already written. When the last byte is in, the checksum decides: kept, or removed.
   */
  async append(id: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<UploadStatus> {
    const record = this.record(id);
    if (this.busy.has(id)) throw new UserFacingError('upload-busy', `${record.name} is already being uploaded from another page.`);
    this.busy.add(id);
    try {
      const before = await this.status(id);
      if (before.complete || offset !== before.received) throw new UploadOffsetMismatch(before);
      const running = await this.runningHash(id, before.received);
      if (offset > 0) this.options.log?.('info', `Upload of ${record.name} resumed at ${offset} of ${record.size} bytes.`);
      let received = before.received;
      const handle = await fs.open(this.partFile(id), 'r+');
      try {
        for await (const chunk of body) {
          if (received + chunk.length > record.size) {
            throw new UserFacingError('upload-too-long', `More bytes arrived than the ${record.size} announced for ${record.name}; upload it again.`);
          }
          await handle.write(chunk, 0, chunk.length, received);
          running.hash.update(chunk);
          received += chunk.length;
          running.hashed = received;
        }
      } finally {
        await handle.close().catch(() => undefined);
      }
      return received === record.size ? await this.finish(record, running.hash) : await this.status(id);
    } finally {
      this.busy.delete(id);
    }
  }

  /** The stored file of a finished upload, for whoever adds it (the image library, the deploy settings). */
  async completedFile(id: string): Promise<{ path: string; name: string; sha256: string }> {
    const status = await this.status(id);
    if (!status.complete || !status.path || !status.sha256) {
      throw new UserFacingError('upload-incomplete', `${status.name} has ${status.received} of ${status.size} bytes so far: finish the upload first.`);
    }
    return { path: status.path, name: status.name, sha256: status.sha256 };
  }

  /** Drops an unfinished upload and its bytes. A finished one stays: the library may use it. */
  async discard(id: string): Promise<boolean> {
    const record = this.records.get(id);
    if (!record || record.sha256 !== null || this.busy.has(id)) return false;
    await this.removeFiles(id);
    return true;
  }

  private async finish(record: UploadRecord, hash: Hash): Promise<UploadStatus> {
    const actual = hash.digest('hex');
    this.hashes.delete(record.id);
    if (record.expectedSha256 !== null && record.expectedSha256 !== actual) {
      await this.removeFiles(record.id);
      this.options.log?.('warn', `Upload of ${record.name} refused: its SHA-256 is ${actual}, not ${record.expectedSha256} as given; the file was removed.`);
      throw new UserFacingError(
        'upload-checksum',
        `${record.name} arrived with SHA-256 ${actual}, not the ${record.expectedSha256} you gave: it was damaged on the way or the checksum belongs to another file. Rackboot removed it; check the checksum and upload it again.`,
      );
    }
    const done = { ...record, sha256: actual };
    await fs.mkdir(path.join(this.dir, record.id), { mode: 0o700 });
    await fs.rename(this.partFile(record.id), this.finalFile(done));
    await this.saveRecord(done);
    this.options.log?.('info', `Upload of ${record.name} complete: ${record.size} bytes, sha256 ${actual}.`);
    return this.status(record.id);
  }

  /** The hash of the part file's first `received` bytes: the one kept from earlier PUTs, or read again from disk. */
  private async runningHash(id: string, received: number): Promise<{ hash: Hash; hashed: number }> {
    const kept = this.hashes.get(id);
    if (kept && kept.hashed === received) return kept;
    const hash = createHash('sha256');
    if (received > 0) {
      for await (const chunk of createReadStream(this.partFile(id), { start: 0, end: received - 1 })) hash.update(chunk as Buffer);
    }
    const fresh = { hash, hashed: received };
    this.hashes.set(id, fresh);
    return fresh;
  }

  private record(id: string): UploadRecord {
    const record = uploadIdSchema.safeParse(id).success ? this.records.get(id) : undefined;
    if (!record) throw new UserFacingError('upload-not-found', 'That upload is not on the server (finished and removed, or never started): start it again.');
    return record;
  }

  private async saveRecord(record: UploadRecord): Promise<void> {
    await writeFileAtomic(this.recordFile(record.id), `${JSON.stringify(record)}\n`);
    this.records.set(record.id, record);
  }

  private async removeFiles(id: string): Promise<void> {
    this.records.delete(id);
    this.hashes.delete(id);
    await fs.rm(this.partFile(id), { force: true });
    await fs.rm(path.join(this.dir, id), { recursive: true, force: true });
    await fs.rm(this.recordFile(id), { force: true });
  }

  private recordFile(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private partFile(id: string): string {
    return path.join(this.dir, `${id}.part`);
  }

  private finalFile(record: UploadRecord): string {
    return path.join(this.dir, record.id, record.name);
  }
}
