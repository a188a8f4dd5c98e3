import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserFacingError } from '../lib/user-facing-error';
import type { CpioEntry } from './cpio';
import { deployModules } from './driver-set';
import { collectFirmware, type FirmwareSet } from './firmware';
import { moduleIndex } from './modules-dep';

export interface KernelTree {
  /** A folder holding lib/modules/VERSION (an unpacked linux-image package). */
  root: string;
  version: string;
}

/** What a ramdisk built from a kernel holds besides the agent, for the technician and the tests. */
export interface RamdiskContents {
  /** Busybox, the folders the agent needs, and the module index (`modules.dep`, `modules.alias`) of the drivers. */
  base: CpioEntry[];
  /** The driver modules and their firmware files, under lib/modules/VERSION and lib/firmware. */
  drivers: CpioEntry[];
  /** Module files (paths under lib/modules/VERSION) of the deploy drivers and what they depend on. */
  modules: string[];
  firmware: FirmwareSet;
}

/**
 * Everything of a complete deploy ramdisk but the agent: static busybox, the kernel's storage and network drivers
 * (driver-set.ts) as a module tree of their own (`lib/modules/VERSION` with `modules.dep` and `modules.alias` cut down
 * to what it holds), and the firmware files those modules name that `firmwareDir` holds. The agent loads only the
 * drivers whose aliases match a device the kernel found (busybox modprobe resolves modaliases), so a server pays for
 * its own two or three drivers, not for every one shipped. `base` and `drivers` together are that tree; the built-in
 * ramdisk boots `base` alone and sends each server the drivers its devices match (builtin-drivers.ts).
 */
export async function ramdiskContents(options: { kernel: KernelTree; busybox: string; firmwareDir?: string }): Promise<RamdiskContents> {
  const tree = `lib/modules/${options.kernel.version}`;
  const modulesDir = path.join(options.kernel.root, tree);
  const [modulesDep, modulesAlias] = await Promise.all([
    fs.readFile(path.join(modulesDir, 'modules.dep'), 'utf8'),
    fs.readFile(path.join(modulesDir, 'modules.alias'), 'utf8').catch(() => {
      throw new UserFacingError(
        'ramdisk-kernel',
        `${modulesDir} has no modules.alias, which the deploy agent needs to pick drivers; run depmod -b ${options.kernel.root} ${options.kernel.version}.`,
      );
    }),
  ]);
  const { order } = deployModules(modulesDep);
  const modules = new Map<string, Buffer>();
  for (const file of order) modules.set(file, await fs.readFile(path.join(modulesDir, file)));
  const firmware = options.firmwareDir
    ? await collectFirmware(options.firmwareDir, [...modules.values()])
    : { entries: [], files: [], missing: [] };
  const busybox = await fs.readFile(options.busybox);
  const index = moduleIndex(modulesDep, modulesAlias, order);
  const base: CpioEntry[] = [
    ...['sbin', 'usr', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'run'].map(
      (dir): CpioEntry => ({ kind: 'dir', path: dir }),
    ),
    { kind: 'char-device', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    ...parentFolders([`${tree}/modules.dep`]).map((dir): CpioEntry => ({ kind: 'dir', path: dir })),
    { kind: 'file', path: `${tree}/modules.dep`, data: Buffer.from(index.modulesDep) },
    { kind: 'file', path: `${tree}/modules.alias`, data: Buffer.from(index.modulesAlias) },
  ];
  const files = [`${tree}/modules.dep`, ...order.map((file) => `${tree}/${file}`), ...firmware.entries.map((entry) => entry.path)];
  const drivers: CpioEntry[] = [
    ...parentFolders(files).map((dir): CpioEntry => ({ kind: 'dir', path: dir })),
    // The index again, for whoever picks from this half alone (builtin-drivers.ts).
    { kind: 'file', path: `${tree}/modules.dep`, data: Buffer.from(index.modulesDep) },
    { kind: 'file', path: `${tree}/modules.alias`, data: Buffer.from(index.modulesAlias) },
    ...[...modules].map(([file, data]): CpioEntry => ({ kind: 'file', path: `${tree}/${file}`, data })),
    ...firmware.entries,
  ];
  return { base, drivers, modules: order, firmware };
}

/** Every folder above the given files, parents first, as a cpio archive must list them. */
export function parentFolders(paths: string[]): string[] {
  const folders = new Set<string>();
  for (const file of paths) {
    const parts = file.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) folders.add(parts.slice(0, depth).join('/'));
  }
  return [...folders].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}
