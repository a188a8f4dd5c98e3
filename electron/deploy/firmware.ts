import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CpioEntry } from './cpio';
import { moduleFirmware } from './module-info';

/** The firmware a ramdisk carries, as cpio entries under lib/firmware, with what the modules named and the folder lacked. */
export interface FirmwareSet {
  entries: CpioEntry[];
  /** Names the modules gave that the folder holds (as the kernel asks for them). */
  files: string[];
  /** Names the modules gave that the folder does not hold: the device works without them, or needs a package not taken. */
  missing: string[];
}

/**
 * The firmware files the given modules name (`MODULE_FIRMWARE`) that `root` (a lib/firmware folder) holds, as the
 * kernel's loader finds them: under the name, or compressed beside it (`NAME.xz`, `NAME.zst`). Debian links a
 * generic name to a versioned file (intel/ice/ddp/ice.pkg → ice-1.3.30.0.pkg): the link and its target are both
 * carried. Names or links that lead out of `root` are refused, as a hostile package could hold them.
 */
export async function collectFirmware(root: string, modules: Uint8Array[]): Promise<FirmwareSet> {
  const names = [...new Set(modules.flatMap((module) => moduleFirmware(module)))].sort();
  const carried = new Map<string, CpioEntry>();
  const files: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    let found = false;
    for (const candidate of [name, `${name}.xz`, `${name}.zst`]) {
      if (await carry(root, candidate, carried)) {
        found = true;
        break;
      }
    }
    (found ? files : missing).push(name);
  }
  const entries = [...carried.values()].sort((a, b) => a.path.localeCompare(b.path));
  return { entries, files, missing };
}

/** Adds `relative` (and what a link of it points to) to `carried`; false when it is not there or leads outside. */
async function carry(root: string, relative: string, carried: Map<string, CpioEntry>, depth = 0): Promise<boolean> {
  const normal = path.posix.normalize(relative);
  if (depth > 8 || normal.startsWith('../') || normal === '..' || path.posix.isAbsolute(normal) || normal === '.') return false;
  const entryPath = `lib/firmware/${normal}`;
  if (carried.has(entryPath)) return true;
  const file = path.join(root, normal);
  const info = await fs.lstat(file).catch(() => null);
  if (!info) return false;
  if (info.isSymbolicLink()) {
    const target = await fs.readlink(file);
    const resolved = path.posix.join(path.posix.dirname(normal), target);
    if (path.posix.isAbsolute(target) || !(await carry(root, resolved, carried, depth + 1))) return false;
    carried.set(entryPath, { kind: 'symlink', path: entryPath, target });
    return true;
  }
  if (!info.isFile()) return false;
  carried.set(entryPath, { kind: 'file', path: entryPath, data: await fs.readFile(file), mode: 0o644 });
  return true;
}
