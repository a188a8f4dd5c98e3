// qcow2 (versions 2 and 3), read without qemu: the header and the active L1/L2 tables are checked whole before
// anything is read from the clusters, so a truncated or corrupt file is refused before a byte reaches a disk.
// Pure apart from the `read` function handed in (bytes at an offset of the file). Specification:
// qemu's docs/interop/qcow2.txt. Refused: backing files, encryption, external data files, extended L2 entries and
// compression other than zlib (none of which a stock cloud image uses).
import { inflateRawSync } from 'node:zlib';
import { ImageFormatError } from './image-format-error';

export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  virtualSize: number;
  l1Size: number;
  l1Offset: number;
}

/** A stretch of the virtual disk that the file holds: plain clusters back to back, or one compressed cluster. */
export type Qcow2Run =
  | { kind: 'plain'; virtual: number; length: number; host: number }
  | { kind: 'compressed'; virtual: number; length: number; host: number; stored: number };

const MAGIC = 0x514649fb;
const INCOMPATIBLE = { dirty: 1n, corrupt: 2n, externalData: 4n, compressionType: 8n, extendedL2: 16n } as const;
const KNOWN_INCOMPATIBLE = 31n;
const OFFSET_MASK = 0x00fffffffffffe00n;
/** Bits of an L1 entry that must be zero (1-8, 56-62). */
const L1_RESERVED = 0x7f000000000001fen;
/** Bits of a standard L2 entry that must be zero (1-8, 56-61). */
const L2_RESERVED = 0x3f000000000001fen;
const COMPRESSED = 1n << 62n;
const ZERO_FLAG = 1n;

function u64(buffer: Buffer, offset: number, what: string, fileSize: number): number {
  const value = buffer.readBigUInt64BE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} (${value}) is beyond any file`, fileSize);
  return Number(value);
}

function corrupt(detail: string, fileSize: number): ImageFormatError {
  return new ImageFormatError('image-corrupt', `This qcow2 file is truncated or damaged (${detail}; the file has ${fileSize} bytes). Copy it again, or check it with qemu-img check.`);
}

/** Reads and checks the header; the backing file's name is read for the refusal that names it. */
export async function readQcow2Header(read: ReadAt, fileSize: number): Promise<Qcow2Header> {
  if (fileSize < 72) throw corrupt('shorter than a qcow2 header', fileSize);
  const head = await read(0, Math.min(fileSize, 112));
  if (head.readUInt32BE(0) !== MAGIC) throw new ImageFormatError('image-corrupt', 'This file does not start with the qcow2 magic bytes.');
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) {
    throw new ImageFormatError('image-unsupported', `This is a qcow2 file of version ${version}; Rackboot reads versions 2 and 3. Convert it: qemu-img convert -O qcow2 -o compat=1.1 IN OUT.`);
  }
  const backingOffset = u64(head, 8, 'the backing file name offset', fileSize);
  const backingSize = head.readUInt32BE(16);
  if (backingOffset !== 0) {
    const name = backingOffset + Math.min(backingSize, 1023) <= fileSize ? (await read(backingOffset, Math.min(backingSize, 1023))).toString('utf8') : '?';
    throw new ImageFormatError(
      'image-backing-file',
      `This qcow2 image is an overlay on a backing file (${JSON.stringify(name)}): it does not hold the whole disk. Flatten it first: qemu-img convert -O qcow2 IN OUT.`,
    );
  }
  const clusterBits = head.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) throw corrupt(`cluster_bits ${clusterBits} is outside 9–21`, fileSize);
  const virtualSize = u64(head, 24, 'the virtual size', fileSize);
  if (head.readUInt32BE(32) !== 0) {
    throw new ImageFormatError('image-encrypted', 'This qcow2 image is encrypted; Rackboot cannot write an encrypted image. Decrypt it first with qemu-img convert.');
  }
  const l1Size = head.readUInt32BE(36);
  const l1Offset = u64(head, 40, 'the L1 table offset', fileSize);
  if (version === 3) {
    if (fileSize < 104) throw corrupt('shorter than a version 3 header', fileSize);
    const incompatible = head.readBigUInt64BE(72);
    const headerLength = head.readUInt32BE(100);
    if (headerLength < 104 || headerLength > fileSize) throw corrupt(`header length ${headerLength}`, fileSize);
    if (incompatible & INCOMPATIBLE.corrupt) throw new ImageFormatError('image-corrupt', 'qemu marked this qcow2 image corrupt; repair it with qemu-img check -r all, or use another copy.');
    if (incompatible & INCOMPATIBLE.externalData) throw new ImageFormatError('image-unsupported', 'This qcow2 image keeps its data in an external file; convert it to a self-contained image: qemu-img convert -O qcow2 IN OUT.');
    if (incompatible & INCOMPATIBLE.extendedL2) throw new ImageFormatError('image-unsupported', 'This qcow2 image uses extended L2 entries (subclusters); convert it: qemu-img convert -O qcow2 IN OUT.');
    if (incompatible & INCOMPATIBLE.compressionType && headerLength > 104 && head[104] !== 0) {
      throw new ImageFormatError('image-unsupported', 'This qcow2 image compresses its clusters with zstd; Rackboot reads zlib-compressed clusters. Convert it: qemu-img convert -O qcow2 -c -o compression_type=zlib IN OUT.');
    }
    if (incompatible & ~KNOWN_INCOMPATIBLE) throw new ImageFormatError('image-unsupported', `This qcow2 image needs features Rackboot does not know (incompatible bits 0x${incompatible.toString(16)}); convert it with qemu-img convert -O qcow2.`);
  }
  const clusterSize = 2 ** clusterBits;
  const perL2 = clusterSize / 8;
  const needed = Math.ceil(virtualSize / clusterSize / perL2);
  if (l1Size < needed) throw corrupt(`the L1 table has ${l1Size} entries where the virtual size needs ${needed}`, fileSize);
  if (l1Size > 0 && (l1Offset % clusterSize !== 0 || l1Offset + l1Size * 8 > fileSize)) {
    throw corrupt(`the L1 table at ${l1Offset} (${l1Size} entries) is not inside the file`, fileSize);
  }
  return { version, clusterBits, virtualSize, l1Size, l1Offset };
}

/**
 * The file's data clusters in virtual order, merging neighbours that are back to back in the file too. Every table
 * and every cluster is checked to lie inside the file; what is not listed reads as zeros (unallocated or zero
 * clusters), since there is no backing file.
 */
export async function readQcow2Runs(read: ReadAt, fileSize: number, header: Qcow2Header): Promise<Qcow2Run[]> {
  const clusterSize = 2 ** header.clusterBits;
  const perL2 = clusterSize / 8;
  const clusters = Math.ceil(header.virtualSize / clusterSize);
  const l1 = header.l1Size > 0 ? await read(header.l1Offset, Math.ceil(clusters / perL2) * 8) : Buffer.alloc(0);
  const runs: Qcow2Run[] = [];
  const compressedShift = 62n - BigInt(header.clusterBits - 8);
  const compressedOffsetMask = (1n << compressedShift) - 1n;
  const sectorsMask = (1n << BigInt(header.clusterBits - 8)) - 1n;
  for (let l1Index = 0; l1Index * perL2 < clusters; l1Index += 1) {
    const l1Entry = l1.readBigUInt64BE(l1Index * 8);
    if (l1Entry & L1_RESERVED) throw corrupt(`L1 entry ${l1Index} has reserved bits set`, fileSize);
    const l2Offset = Number(l1Entry & OFFSET_MASK);
    if (l2Offset === 0) continue;
    if (l2Offset % clusterSize !== 0 || l2Offset + clusterSize > fileSize) throw corrupt(`L1 entry ${l1Index} points at an L2 table at ${l2Offset}, outside the file`, fileSize);
    const l2 = await read(l2Offset, clusterSize);
    const first = l1Index * perL2;
    for (let l2Index = 0; l2Index < perL2 && first + l2Index < clusters; l2Index += 1) {
      const entry = l2.readBigUInt64BE(l2Index * 8);
      const cluster = first + l2Index;
      const virtual = cluster * clusterSize;
      const length = Math.min(clusterSize, header.virtualSize - virtual);
      if (entry & COMPRESSED) {
        const host = Number(entry & compressedOffsetMask);
        const sectors = Number((entry >> compressedShift) & sectorsMask) + 1;
        const stored = sectors * 512 - (host % 512);
        // The last compressed cluster may end inside its last sector, past the end of the file.
        if (host === 0 || host >= fileSize || host + stored > fileSize + 512) throw corrupt(`compressed cluster ${cluster} at ${host} is outside the file`, fileSize);
        runs.push({ kind: 'compressed', virtual, length, host, stored: Math.min(stored, fileSize - host) });
        continue;
      }
      if (entry & L2_RESERVED) throw corrupt(`L2 entry of cluster ${cluster} has reserved bits set`, fileSize);
      const host = Number(entry & OFFSET_MASK);
      if (entry & ZERO_FLAG) {
        if (header.version === 2) throw corrupt(`cluster ${cluster} has the zero flag, which version 2 does not have`, fileSize);
        continue;
      }
      if (host === 0) continue;
      if (host % clusterSize !== 0 || host + length > fileSize) throw corrupt(`cluster ${cluster} points at ${host}, outside the file`, fileSize);
      const last = runs.at(-1);
      if (last?.kind === 'plain' && last.virtual + last.length === virtual && last.host + last.length === host) last.length += length;
      else runs.push({ kind: 'plain', virtual, length, host });
    }
  }
  return runs;
}

/** The virtual bytes of one run, from `from` (inside it) for at most `length` bytes. */
export async function readQcow2Run(read: ReadAt, run: Qcow2Run, from: number, length: number): Promise<Buffer> {
  const skip = from - run.virtual;
  const take = Math.min(length, run.length - skip);
  if (run.kind === 'plain') return read(run.host + skip, take);
  const cluster = inflateCluster(await read(run.host, run.stored), run);
  return cluster.subarray(skip, skip + take);
}

function inflateCluster(stored: Buffer, run: Extract<Qcow2Run, { kind: 'compressed' }>): Buffer {
  let cluster: Buffer;
  try {
    cluster = inflateRawSync(stored, { maxOutputLength: Math.max(run.length, 512) });
  } catch (error) {
    throw new ImageFormatError('image-corrupt', `The compressed cluster at virtual byte ${run.virtual} of this qcow2 image does not decompress (${(error as Error).message}); the file is damaged. Copy it again.`);
  }
  if (cluster.length < run.length) throw new ImageFormatError('image-corrupt', `The compressed cluster at virtual byte ${run.virtual} of this qcow2 image holds ${cluster.length} bytes instead of ${run.length}; the file is damaged. Copy it again.`);
  return cluster;
}
