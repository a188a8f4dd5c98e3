// One image file as the virtual disk it describes, whatever its format: read in order to measure it, or only its data
// extents (from any byte of the data on, for a resumed transfer) to send them. Nothing of the virtual size is ever
// written to the laptop's disk: compressed formats are decompressed as a stream, qcow2 is read cluster by cluster.
import { createReadStream, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import type * as XzModule from 'xz-decompress';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { detectImageFormat, MAGIC_BYTES, type ImageFormat } from './detect';
import { ExtentMapBuilder, type Extent, type ExtentMap } from './extent-map';
import { ImageFormatError } from './image-format-error';
import { readQcow2Header, readQcow2Run, readQcow2Runs, type Qcow2Run, type ReadAt } from './qcow2';

const PIECE = 1024 * 1024;
// xz-decompress is a UMD bundle whose named exports Node's ESM loader cannot see (the headless app is ESM): required.
const { XzReadableStream } = createRequire(import.meta.url)('xz-decompress') as typeof XzModule;

/** A stretch of the virtual disk in order: bytes, or a hole of some length. */
export type VirtualPiece = Buffer | { hole: number };

export interface ImageSource {
  format: ImageFormat;
  fileSize: number;
  /** The whole virtual disk in order. */
  virtual(): AsyncIterable<VirtualPiece>;
  /** The bytes of the data extents one after the other, from byte `from` of that sequence on. */
  data(extents: Extent[], from: number): AsyncIterable<Buffer>;
}

async function readerOf(file: string): Promise<{ read: ReadAt; close(): Promise<void> }> {
  const handle = await fs.open(file, 'r');
  return {
    async read(offset, length) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead < length) throw new ImageFormatError('image-corrupt', `The image file ended at byte ${offset + bytesRead} where ${offset + length} was expected; it is truncated. Copy it again.`);
      return buffer;
    },
    close: () => handle.close(),
  };
}

/** Opens an image: its format from its magic bytes, and for qcow2 its header and tables checked whole. */
export async function openImageSource(file: string): Promise<ImageSource> {
  const { size: fileSize } = await fs.stat(file);
  const reader = await readerOf(file);
  try {
    const head = await reader.read(0, Math.min(MAGIC_BYTES, fileSize));
    const format = detectImageFormat(head);
    if (format === 'qcow2') {
      const header = await readQcow2Header(reader.read, fileSize);
      const runs = await readQcow2Runs(reader.read, fileSize, header);
      return qcow2Source(file, fileSize, header.virtualSize, runs);
    }
    if (format === 'raw') return rawSource(file, fileSize);
    return streamSource(file, format, fileSize);
  } finally {
    await reader.close();
  }
}

/** Reads the whole virtual disk once and maps its data; throws (before any write) on a damaged file. */
export async function measureExtents(source: ImageSource, onVirtualBytes: (bytes: number) => void = () => undefined): Promise<ExtentMap> {
  const builder = new ExtentMapBuilder();
  for await (const piece of source.virtual()) {
    if (Buffer.isBuffer(piece)) {
      builder.data(piece);
      onVirtualBytes(piece.length);
    } else {
      builder.hole(piece.hole);
      onVirtualBytes(piece.hole);
    }
  }
  return builder.finish();
}

function rawSource(file: string, fileSize: number): ImageSource {
  return {
    format: 'raw',
    fileSize,
    async *virtual() {
      for await (const chunk of createReadStream(file, { highWaterMark: PIECE })) yield chunk as Buffer;
    },
    data: (extents, from) => randomAccessData(file, extents, from, async (read, offset, length) => read(offset, length)),
  };
}

function qcow2Source(file: string, fileSize: number, virtualSize: number, runs: Qcow2Run[]): ImageSource {
  const readVirtual = async (read: ReadAt, offset: number, length: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let at = offset;
    const end = offset + length;
    let index = firstRunEndingAfter(runs, at);
    while (at < end) {
      const run = runs[index];
      if (!run || run.virtual >= end) {
        parts.push(Buffer.alloc(end - at));
        break;
      }
      if (run.virtual > at) {
        parts.push(Buffer.alloc(run.virtual - at));
        at = run.virtual;
      }
      const bytes = await readQcow2Run(read, run, at, end - at);
      parts.push(bytes);
      at += bytes.length;
      index += 1;
    }
    return Buffer.concat(parts);
  };
  return {
    format: 'qcow2',
    fileSize,
    async *virtual() {
      const reader = await readerOf(file);
      try {
        let at = 0;
        for (const run of runs) {
          if (run.virtual > at) yield { hole: run.virtual - at };
          for (let offset = run.virtual; offset < run.virtual + run.length; ) {
            const bytes = await readQcow2Run(reader.read, run, offset, PIECE);
            yield bytes;
            offset += bytes.length;
          }
          at = run.virtual + run.length;
        }
        if (virtualSize > at) yield { hole: virtualSize - at };
      } finally {
        await reader.close();
      }
    },
    data: (extents, from) => randomAccessData(file, extents, from, readVirtual),
  };
}

function firstRunEndingAfter(runs: Qcow2Run[], offset: number): number {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    const run = runs[middle]!;
    if (run.virtual + run.length <= offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

async function* randomAccessData(
  file: string,
  extents: Extent[],
  from: number,
  readVirtual: (read: ReadAt, offset: number, length: number) => Promise<Buffer>,
): AsyncIterable<Buffer> {
  const reader = await readerOf(file);
  try {
    let dataOffset = 0;
    for (const extent of extents) {
      const skip = Math.max(0, from - dataOffset);
      dataOffset += extent.length;
      if (skip >= extent.length) continue;
      for (let at = extent.offset + skip; at < extent.offset + extent.length; ) {
        const length = Math.min(PIECE, extent.offset + extent.length - at);
        yield await readVirtual(reader.read, at, length);
        at += length;
      }
    }
  } finally {
    await reader.close();
  }
}

function streamSource(file: string, format: 'gzip' | 'xz' | 'zstd', fileSize: number): ImageSource {
  const decompressed = (): AsyncIterable<Buffer> => decompress(file, format);
  return {
    format,
    fileSize,
    virtual: decompressed,
    // A compressed stream cannot be entered in its middle: a resumed transfer decompresses again from the start and
    // drops what was sent already (laptop CPU, not link bytes).
    async *data(extents, from) {
      let index = 0;
      let virtualAt = 0;
      let dataOffset = 0;
      for await (const chunk of decompressed()) {
        const chunkEnd = virtualAt + chunk.length;
        while (index < extents.length) {
          const extent = extents[index]!;
          const start = Math.max(extent.offset, virtualAt);
          const end = Math.min(extent.offset + extent.length, chunkEnd);
          if (start < end) {
            const extentSkip = Math.max(0, from - dataOffset - (start - extent.offset));
            if (start + extentSkip < end) yield chunk.subarray(start + extentSkip - virtualAt, end - virtualAt);
          }
          if (extent.offset + extent.length > chunkEnd) break;
          dataOffset += extent.length;
          index += 1;
        }
        virtualAt = chunkEnd;
      }
    },
  };
}

async function* decompress(file: string, format: 'gzip' | 'xz' | 'zstd'): AsyncIterable<Buffer> {
  const input = createReadStream(file, { highWaterMark: PIECE });
  try {
    if (format === 'gzip') {
      yield* input.pipe(createGunzip()) as AsyncIterable<Buffer>;
    } else if (format === 'xz') {
      // Node's web stream and the DOM's type are the same object under two declarations.
      const web = Readable.toWeb(input) as unknown as globalThis.ReadableStream<Uint8Array>;
      const reader = new XzReadableStream(web).getReader();
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      }
    } else {
      yield* zstdChunks(input);
    }
  } catch (error) {
    if (error instanceof ImageFormatError) throw error;
    throw new ImageFormatError('image-corrupt', `This ${format} image does not decompress (${(error as Error).message}); the file is truncated or damaged. Copy it again.`);
  } finally {
    input.destroy();
  }
}

async function* zstdChunks(input: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  let out: Buffer[] = [];
  let finished = false;
  const decoder = new ZstdDecompress((chunk, final) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (final) finished = true;
  });
  for await (const chunk of input) {
    decoder.push(chunk);
    const ready = out;
    out = [];
    yield* ready;
  }
  decoder.push(new Uint8Array(0), true);
  yield* out;
  if (!finished) throw new Error('the zstd stream ends before its last frame');
}
