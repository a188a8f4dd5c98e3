/**
 * A small ISO 9660 file system image with Rock Ridge names, built in memory (pure: files in, bytes out), for config
 * drives. ISO 9660 names are upper case and short; Rock Ridge's NM entries carry the real names (`meta_data.json`),
 * and the ISO names are chosen so that a reader without Rock Ridge (Linux's `norock`, Windows) still maps them to the
 * same lower-case names. Every directory must fit in one 2048-byte sector: a config drive has a handful of files.
 */

const SECTOR = 2048;
const SYSTEM_AREA_SECTORS = 16;

export interface IsoFile {
  /** Slash-separated path without a leading slash, like `openstack/latest/meta_data.json`. */
  path: string;
  data: Uint8Array;
}

export interface IsoOptions {
  /** Volume identifier (what `blkid` shows as LABEL); written as given, like genisoimage -V does. */
  volumeId: string;
  /** Every timestamp of the image, so the same input gives the same bytes. */
  date: Date;
}

interface DirNode {
  name: string;
  dirs: Map<string, DirNode>;
  files: { name: string; data: Uint8Array; sector: number }[];
  sector: number;
  number: number;
  parent: DirNode | null;
}

const encoder = new TextEncoder();
const ROCK_RIDGE_ID = 'RRIP_1991A';
const ROCK_RIDGE_DESCRIPTION = 'POSIX FILE SYSTEM SEMANTICS';
const ROCK_RIDGE_SOURCE = 'RACKBOOT';

/** A name as ISO 9660 d-characters: upper case, anything else an underscore; a file gets `.` and version `;1`. */
function isoName(name: string, isFile: boolean): string {
  const upper = name.toUpperCase().replace(/[^A-Z0-9_.]/g, '_');
  if (!isFile) return upper.replace(/\./g, '_').slice(0, 31);
  const dot = upper.lastIndexOf('.');
  const base = (dot < 0 ? upper : upper.slice(0, dot)).replace(/\./g, '_');
  const extension = dot < 0 ? '' : upper.slice(dot + 1);
  return `${base.slice(0, 30 - extension.length)}.${extension};1`;
}

function both16(view: DataView, offset: number, value: number): void {
  view.setUint16(offset, value, true);
  view.setUint16(offset + 2, value, false);
}

function both32(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value, true);
  view.setUint32(offset + 4, value, false);
}

function susp(signature: string, body: Uint8Array): Uint8Array {
  const entry = new Uint8Array(4 + body.length);
  entry.set(encoder.encode(signature), 0);
  entry[2] = entry.length;
  entry[3] = 1;
  entry.set(body, 4);
  return entry;
}

function posixAttributes(mode: number, links: number): Uint8Array {
  const body = new Uint8Array(32);
  const view = new DataView(body.buffer);
  both32(view, 0, mode);
  both32(view, 8, links);
  both32(view, 16, 0);
  both32(view, 24, 0);
  return susp('PX', body);
}

function alternateName(name: string): Uint8Array {
  const bytes = encoder.encode(name);
  const body = new Uint8Array(1 + bytes.length);
  body.set(bytes, 1);
  return susp('NM', body);
}

function extensionReference(): Uint8Array {
  const [id, description, source] = [ROCK_RIDGE_ID, ROCK_RIDGE_DESCRIPTION, ROCK_RIDGE_SOURCE].map((text) => encoder.encode(text)) as [Uint8Array, Uint8Array, Uint8Array];
  const body = new Uint8Array(4 + id.length + description.length + source.length);
  body.set([id.length, description.length, source.length, 1], 0);
  body.set(id, 4);
  body.set(description, 4 + id.length);
  body.set(source, 4 + id.length + description.length);
  return susp('ER', body);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The 7-byte directory record date (years since 1900, …, GMT offset 0). */
function recordDate(date: Date): Uint8Array {
  return new Uint8Array([date.getUTCFullYear() - 1900, date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), 0]);
}

/** The 17-byte volume descriptor date: `YYYYMMDDHHMMSScc` and a GMT offset. */
function volumeDate(date: Date): Uint8Array {
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  const text = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}00`;
  return concat([encoder.encode(text), new Uint8Array([0])]);
}

function directoryRecord(identifier: Uint8Array, sector: number, length: number, isDir: boolean, date: Date, systemUse: Uint8Array): Uint8Array {
  const base = 33 + identifier.length + (identifier.length % 2 === 0 ? 1 : 0);
  const size = base + systemUse.length + ((base + systemUse.length) % 2);
  if (size > 255) throw new Error(`directory record of ${size} bytes: a name is too long for the config drive`);
  const record = new Uint8Array(size);
  const view = new DataView(record.buffer);
  record[0] = size;
  both32(view, 2, sector);
  both32(view, 10, length);
  record.set(recordDate(date), 18);
  record[25] = isDir ? 2 : 0;
  both16(view, 28, 1);
  record[32] = identifier.length;
  record.set(identifier, 33);
  record.set(systemUse, base);
  return record;
}

function padded(text: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length).fill(0x20);
  bytes.set(encoder.encode(text).slice(0, length));
  return bytes;
}

function buildTree(files: IsoFile[]): DirNode {
  const root: DirNode = { name: '', dirs: new Map(), files: [], sector: 0, number: 1, parent: null };
  const seen = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) throw new Error(`bad config drive path: ${file.path}`);
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) {
        next = { name: part, dirs: new Map(), files: [], sector: 0, number: 0, parent: dir };
        dir.dirs.set(part, next);
      }
      dir = next;
    }
    const name = parts.at(-1)!;
    const key = `${parts.slice(0, -1).join('/')}/${isoName(name, true)}`;
    if (seen.has(key)) throw new Error(`two config drive files have the same ISO 9660 name: ${file.path}`);
    seen.add(key);
    dir.files.push({ name, data: file.data, sector: 0 });
  }
  return root;
}

/** Directories breadth first: the order of the path table, whose numbers the records of their children name. */
function breadthFirst(root: DirNode): DirNode[] {
  const order: DirNode[] = [root];
  for (let index = 0; index < order.length; index++) {
    const dir = order[index]!;
    for (const child of [...dir.dirs.values()].sort((a, b) => (isoName(a.name, false) < isoName(b.name, false) ? -1 : 1))) order.push(child);
  }
  order.forEach((dir, index) => (dir.number = index + 1));
  return order;
}

function pathTable(dirs: DirNode[], littleEndian: boolean): Uint8Array {
  const parts = dirs.map((dir) => {
    const name = dir.parent ? encoder.encode(isoName(dir.name, false)) : new Uint8Array([0]);
    const entry = new Uint8Array(8 + name.length + (name.length % 2));
    const view = new DataView(entry.buffer);
    entry[0] = name.length;
    view.setUint32(2, dir.sector, littleEndian);
    view.setUint16(6, dir.parent ? dir.parent.number : 1, littleEndian);
    entry.set(name, 8);
    return entry;
  });
  return concat(parts);
}

function directoryBytes(dir: DirNode, date: Date): Uint8Array {
  const isRoot = dir.parent === null;
  const parent = dir.parent ?? dir;
  const self = directoryRecord(
    new Uint8Array([0]),
    dir.sector,
    SECTOR,
    true,
    date,
    concat([
      // SUSP indicator: the system use areas of this volume hold SUSP entries, from byte 0 of each.
      ...(isRoot ? [susp('SP', new Uint8Array([0xbe, 0xef, 0]))] : []),
      posixAttributes(0o40555, 2 + dir.dirs.size),
      ...(isRoot ? [extensionReference()] : []),
    ]),
  );
  const up = directoryRecord(new Uint8Array([1]), parent.sector, SECTOR, true, date, posixAttributes(0o40555, 2 + parent.dirs.size));
  const children = [
    ...[...dir.dirs.values()].map((child) => ({ iso: isoName(child.name, false), name: child.name, sector: child.sector, length: SECTOR, isDir: true, links: 2 + child.dirs.size })),
    ...dir.files.map((file) => ({ iso: isoName(file.name, true), name: file.name, sector: file.sector, length: file.data.length, isDir: false, links: 1 })),
  ].sort((a, b) => (a.iso < b.iso ? -1 : a.iso > b.iso ? 1 : 0));
  const records = [
    self,
    up,
    ...children.map((child) =>
      directoryRecord(encoder.encode(child.iso), child.sector, child.length, child.isDir, date, concat([posixAttributes(child.isDir ? 0o40555 : 0o100444, child.links), alternateName(child.name)])),
    ),
  ];
  const bytes = concat(records);
  if (bytes.length > SECTOR) throw new Error('a config drive directory holds more entries than fit in one sector');
  return bytes;
}

/** The ISO 9660 image of `files`, a whole number of 2048-byte sectors. */
export function buildIso9660(files: IsoFile[], options: IsoOptions): Uint8Array {
  const root = buildTree(files);
  const dirs = breadthFirst(root);
  // Layout: system area, primary descriptor, terminator, L and M path tables, directories, file data.
  const pathTableSize = pathTable(dirs, true).length;
  const pathTableSectors = Math.ceil(pathTableSize / SECTOR);
  const lPathSector = SYSTEM_AREA_SECTORS + 2;
  const mPathSector = lPathSector + pathTableSectors;
  let next = mPathSector + pathTableSectors;
  for (const dir of dirs) dir.sector = next++;
  for (const dir of dirs) {
    for (const file of dir.files) {
      file.sector = file.data.length === 0 ? 0 : next;
      next += Math.ceil(file.data.length / SECTOR);
    }
  }
  const totalSectors = next;
  const image = new Uint8Array(totalSectors * SECTOR);
  const view = new DataView(image.buffer);

  const pvd = SYSTEM_AREA_SECTORS * SECTOR;
  image[pvd] = 1;
  image.set(encoder.encode('CD001'), pvd + 1);
  image[pvd + 6] = 1;
  image.set(padded('LINUX', 32), pvd + 8);
  image.set(padded(options.volumeId, 32), pvd + 40);
  both32(view, pvd + 80, totalSectors);
  both16(view, pvd + 120, 1);
  both16(view, pvd + 124, 1);
  both16(view, pvd + 128, SECTOR);
  both32(view, pvd + 132, pathTableSize);
  view.setUint32(pvd + 140, lPathSector, true);
  view.setUint32(pvd + 148, mPathSector, false);
  image.set(directoryRecord(new Uint8Array([0]), root.sector, SECTOR, true, options.date, new Uint8Array(0)), pvd + 156);
  image.set(padded('', 128), pvd + 190); // volume set
  image.set(padded('RACKBOOT', 128), pvd + 318); // publisher
  image.set(padded('RACKBOOT', 128), pvd + 446); // data preparer
  image.set(padded('RACKBOOT CONFIG DRIVE', 128), pvd + 574); // application
  image.set(padded('', 37 * 3), pvd + 702); // copyright, abstract, bibliographic files
  image.set(volumeDate(options.date), pvd + 813);
  image.set(volumeDate(options.date), pvd + 830);
  image.set(concat([encoder.encode('0'.repeat(16)), new Uint8Array([0])]), pvd + 847);
  image.set(concat([encoder.encode('0'.repeat(16)), new Uint8Array([0])]), pvd + 864);
  image[pvd + 881] = 1;

  const terminator = (SYSTEM_AREA_SECTORS + 1) * SECTOR;
  image[terminator] = 255;
  image.set(encoder.encode('CD001'), terminator + 1);
  image[terminator + 6] = 1;

  image.set(pathTable(dirs, true), lPathSector * SECTOR);
  image.set(pathTable(dirs, false), mPathSector * SECTOR);
  for (const dir of dirs) {
    image.set(directoryBytes(dir, options.date), dir.sector * SECTOR);
    for (const file of dir.files) if (file.data.length > 0) image.set(file.data, file.sector * SECTOR);
  }
  return image;
}
