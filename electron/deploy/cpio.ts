/** One entry of a cpio "newc" archive, the format the Linux kernel unpacks as an initramfs. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'char-device'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

interface Record {
  mode: number;
  data: Uint8Array;
  rdevMajor: number;
  rdevMinor: number;
}

function toRecord(entry: CpioEntry): Record {
  switch (entry.kind) {
    case 'dir':
      return { mode: S_IFDIR | (entry.mode ?? 0o755), data: new Uint8Array(), rdevMajor: 0, rdevMinor: 0 };
    case 'file':
      return { mode: S_IFREG | (entry.mode ?? 0o644), data: entry.data, rdevMajor: 0, rdevMinor: 0 };
    case 'symlink':
      return { mode: S_IFLNK | 0o777, data: new TextEncoder().encode(entry.target), rdevMajor: 0, rdevMinor: 0 };
    case 'char-device':
      return { mode: S_IFCHR | (entry.mode ?? 0o600), data: new Uint8Array(), rdevMajor: entry.major, rdevMinor: entry.minor };
  }
}

/**
 * Writes a newc archive (owner root, mtime 0, so the same entries always give the same bytes). Paths are relative to
 * the archive root; parent directories must be listed before their children, as the kernel creates them in order.
 */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  const push = (header: string, name: string, data: Uint8Array): void => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const head = Buffer.from(header, 'ascii');
    chunks.push(head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length)));
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(pad4(data.byteLength)));
  };
  const header = (ino: number, record: Record, nameLength: number, nlink: number): string =>
    '070701' +
    [ino, record.mode, 0, 0, nlink, 0, record.data.byteLength, 0, 0, record.rdevMajor, record.rdevMinor, nameLength, 0]
      .map(hex8)
      .join('');

  entries.forEach((entry, index) => {
    const name = entry.path.replace(/^\/+/, '');
    if (name === '' || name.split('/').includes('..')) throw new Error(`bad cpio path ${entry.path}`);
    const record = toRecord(entry);
    push(header(index + 1, record, Buffer.byteLength(name) + 1, entry.kind === 'dir' ? 2 : 1), name, record.data);
  });
  const trailer: Record = { mode: 0, data: new Uint8Array(), rdevMajor: 0, rdevMinor: 0 };
  push(header(0, trailer, 'TRAILER!!!'.length + 1, 1), 'TRAILER!!!', trailer.data);
  return Buffer.concat(chunks);
}
