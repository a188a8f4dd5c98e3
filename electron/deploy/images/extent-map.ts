// The extent map of a disk image: which stretches hold data (sent and written) and which read as zeros (holes: never
// sent, zeroed on the target by the cheapest guaranteed means). Built from a stream of the virtual disk in order,
// where a source may also say "this stretch is a hole" (qcow2's unallocated and zero clusters). Pure.
import { createHash, type Hash } from 'node:crypto';

export interface Extent {
  offset: number;
  length: number;
}

export interface ExtentMap {
  virtualSize: number;
  /** Data extents in order, never touching (holes lie between them). */
  extents: Extent[];
  dataSize: number;
  /** sha256 of the data extents' bytes, one after the other: what the agent reads back. */
  dataSha256: string;
}

/** Zeros inside data are cut out as a hole only from this length on: shorter runs cost more to zero than to send. */
export const MIN_ZERO_RUN = 1024 * 1024;
/** Data is looked at in blocks of this size, aligned to the virtual disk. */
export const ZERO_SCAN_BLOCK = 64 * 1024;
const ZEROS = Buffer.alloc(ZERO_SCAN_BLOCK);

export class ExtentMapBuilder {
  private position = 0;
  private readonly extents: Extent[] = [];
  private readonly hash: Hash = createHash('sha256');
  private dataSize = 0;
  /** Zeros seen inside data and not yet decided on: a hole if the run grows long enough, else data. */
  private pendingZeros = 0;
  /** The pending zeros follow a hole: then they join it whatever their length. */
  private pendingAfterHole = false;
  /** Bytes of an unfinished block. */
  private carry: Buffer[] = [];
  private carried = 0;

  /** The next `length` bytes of the virtual disk read as zeros without being stored. */
  hole(length: number): void {
    this.flushCarry();
    this.pendingZeros += length;
    this.pendingAfterHole = true;
  }

  /** The next bytes of the virtual disk. */
  data(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const blockEnd = ZERO_SCAN_BLOCK - ((this.position + this.pendingZeros + this.carried) % ZERO_SCAN_BLOCK);
      const take = Math.min(blockEnd, chunk.length - at);
      if (this.carried === 0 && take === ZERO_SCAN_BLOCK) {
        this.block(chunk.subarray(at, at + take));
      } else {
        this.carry.push(chunk.subarray(at, at + take));
        this.carried += take;
        if (take === blockEnd) this.flushCarry();
      }
      at += take;
    }
  }

  finish(): ExtentMap {
    this.flushCarry();
    this.settleZeros(true);
    return { virtualSize: this.position, extents: this.extents, dataSize: this.dataSize, dataSha256: this.hash.digest('hex') };
  }

  private flushCarry(): void {
    if (this.carried === 0) return;
    const block = Buffer.concat(this.carry, this.carried);
    this.carry = [];
    this.carried = 0;
    this.block(block);
  }

  private block(block: Buffer): void {
    if (isZero(block)) {
      this.pendingZeros += block.length;
      return;
    }
    this.settleZeros(false);
    this.addData(block);
  }

  private settleZeros(atEnd: boolean): void {
    if (this.pendingZeros === 0) return;
    const length = this.pendingZeros;
    const asHole = this.pendingAfterHole || atEnd || length >= MIN_ZERO_RUN;
    this.pendingZeros = 0;
    this.pendingAfterHole = false;
    if (asHole) {
      this.position += length;
      return;
    }
    for (let left = length; left > 0; left -= ZERO_SCAN_BLOCK) this.addData(ZEROS.subarray(0, Math.min(left, ZERO_SCAN_BLOCK)));
  }

  private addData(bytes: Buffer): void {
    const last = this.extents.at(-1);
    if (last && last.offset + last.length === this.position) last.length += bytes.length;
    else this.extents.push({ offset: this.position, length: bytes.length });
    this.hash.update(bytes);
    this.dataSize += bytes.length;
    this.position += bytes.length;
  }
}

function isZero(block: Buffer): boolean {
  return block.equals(ZEROS.subarray(0, block.length));
}

/** The map as the agent reads it: one `OFFSET LENGTH` line per data extent (docs/agent-api.md). */
export function renderExtentMap(map: Pick<ExtentMap, 'extents'>): string {
  return map.extents.map((extent) => `${extent.offset} ${extent.length}\n`).join('');
}

export function parseExtentMap(text: string, virtualSize: number): Extent[] {
  const extents: Extent[] = [];
  let end = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^(\d+) (\d+)$/.exec(line);
    const offset = Number(match?.[1]);
    const length = Number(match?.[2]);
    if (!match || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || length <= 0 || offset < end || offset + length > virtualSize) {
      throw new Error(`extent map line ${JSON.stringify(line)} is not an extent after byte ${end} inside ${virtualSize} bytes`);
    }
    extents.push({ offset, length });
    end = offset + length;
  }
  return extents;
}
