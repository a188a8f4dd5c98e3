// Where DATA payloads come from: a file read in large chunks (so a lock-step transfer never waits on one small
// read per block) or a buffer already in memory.
import type { FileHandle } from 'node:fs/promises';

export interface BlockSource {
  readonly size: number;
  /** Copies bytes [offset, offset + length) into `target` at `at`; false when they are not in memory yet. */
  copyTo(target: Buffer, at: number, offset: number, length: number): boolean;
  /** Brings bytes [offset, offset + length) into memory; rejects when the file cannot be read. */
  load(offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}

export function memoryBlockSource(bytes: Buffer): BlockSource {
  return {
    size: bytes.length,
    copyTo(target, at, offset, length) {
      bytes.copy(target, at, offset, offset + length);
      return true;
    },
    load: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const DEFAULT_CHUNK = 256 * 1024;
/** Enough for the chunk being sent, the one prefetched after it, and one behind for retransmissions. */
const KEPT_CHUNKS = 3;

export class FileBlockSource implements BlockSource {
  private readonly chunks = new Map<number, Buffer>();
  private readonly loading = new Map<number, Promise<void>>();

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly chunkSize: number,
  ) {}

  /** Takes over an already open file; closing the source closes it. */
  static fromHandle(handle: FileHandle, size: number, chunkSize = DEFAULT_CHUNK): FileBlockSource {
    return new FileBlockSource(handle, size, chunkSize);
  }

  copyTo(target: Buffer, at: number, offset: number, length: number): boolean {
    if (length === 0) return true;
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + length - 1) / this.chunkSize);
    for (let index = first; index <= last; index += 1) if (!this.chunks.has(index)) return false;
    let written = 0;
    for (let index = first; index <= last; index += 1) {
      const chunk = this.chunks.get(index) as Buffer;
      const chunkStart = index * this.chunkSize;
      const from = Math.max(offset, chunkStart) - chunkStart;
      const to = Math.min(offset + length, chunkStart + chunk.length) - chunkStart;
      chunk.copy(target, at + written, from, to);
      written += to - from;
    }
    if (written !== length) return false;
    this.prefetch(last + 1);
    return true;
  }

  async load(offset: number, length: number): Promise<void> {
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / this.chunkSize);
    const pending: Promise<void>[] = [];
    for (let index = first; index <= last; index += 1) pending.push(this.loadChunk(index));
    await Promise.all(pending);
  }

  close(): Promise<void> {
    this.chunks.clear();
    return this.handle.close();
  }

  private prefetch(index: number): void {
    if (index * this.chunkSize >= this.size || this.chunks.has(index) || this.loading.has(index)) return;
    // A failed prefetch is reported by the load() that later needs the chunk.
    this.loadChunk(index).catch(() => undefined);
  }

  private loadChunk(index: number): Promise<void> {
    if (this.chunks.has(index)) return Promise.resolve();
    const inFlight = this.loading.get(index);
    if (inFlight) return inFlight;
    const start = index * this.chunkSize;
    const length = Math.min(this.chunkSize, this.size - start);
    const promise = this.readFully(start, length).then(
      (chunk) => {
        this.loading.delete(index);
        this.chunks.set(index, chunk);
        // Transfers only move forward (a retransmission never goes back further than one window), so the
        // chunks furthest behind are the ones to drop.
        while (this.chunks.size > KEPT_CHUNKS) this.chunks.delete(Math.min(...this.chunks.keys()));
      },
      (error: unknown) => {
        this.loading.delete(index);
        throw error;
      },
    );
    this.loading.set(index, promise);
    return promise;
  }

  private async readFully(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) throw new Error('the file became shorter while it was being sent');
      filled += bytesRead;
    }
    return buffer;
  }
}
