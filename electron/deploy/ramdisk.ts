import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { UserFacingError } from '../lib/user-facing-error';
import { writeFileAtomic } from '../lib/atomic-file';
import { writeCpio, type CpioEntry } from './cpio';
import { moduleIndex, resolveModuleOrder } from './modules-dep';
import type { AgentTools } from './agent-tools';
import agentInit from './agent/init.sh?raw';
import agentDhcpScript from './agent/udhcpc.sh?raw';
import agentFetchImage from './agent/fetch-image.sh?raw';
import agentInventory from './agent/inventory.sh?raw';
import agentWipeMetadata from './agent/wipe-metadata.sh?raw';

const execFileAsync = promisify(execFile);

/** Drivers a deploy ramdisk loads when present in the kernel: virtual and common server NICs and disk controllers. */
export const DEFAULT_DRIVERS = [
  'virtio_pci', 'virtio_net', 'virtio_blk', 'virtio_scsi', 'e1000', 'e1000e', 'igb', 'ixgbe', 'i40e', 'tg3', 'bnx2',
  'bnxt_en', 'mlx5_core', 'ahci', 'nvme', 'sd_mod',
];

/** Where the agent finds that list: what it loads by name from an operator's initrd that has no module index. */
const AGENT_DRIVER_LIST = 'etc/rackboot/drivers';

/** The agent's own files, as a cpio archive the kernel can unpack on top of any initramfs. */
export function agentEntries(tools: AgentTools): CpioEntry[] {
  return [
    { kind: 'dir', path: 'bin' },
    ...tools.entries,
    { kind: 'dir', path: 'etc' },
    { kind: 'dir', path: 'etc/rackboot' },
    { kind: 'file', path: 'init', data: Buffer.from(agentInit), mode: 0o755 },
    { kind: 'file', path: 'etc/rackboot/udhcpc.sh', data: Buffer.from(agentDhcpScript), mode: 0o755 },
    { kind: 'file', path: 'etc/rackboot/fetch-image.sh', data: Buffer.from(agentFetchImage), mode: 0o755 },
    { kind: 'file', path: 'etc/rackboot/inventory.sh', data: Buffer.from(agentInventory), mode: 0o755 },
    { kind: 'file', path: 'etc/rackboot/wipe-metadata.sh', data: Buffer.from(agentWipeMetadata), mode: 0o755 },
    { kind: 'file', path: AGENT_DRIVER_LIST, data: Buffer.from(`${DEFAULT_DRIVERS.join('\n')}\n`), mode: 0o644 },
  ];
}

/**
 * Appends the agent to an initrd the operator gives. The kernel unpacks concatenated archives in order and later files
 * win, so the agent's /init replaces the initrd's own; the initrd must bring a busybox (/bin/sh, wget, udhcpc).
 */
export function appendAgent(initrd: Buffer, tools: AgentTools): Buffer {
  const padding = Buffer.alloc((4 - (initrd.length % 4)) % 4);
  return Buffer.concat([initrd, padding, writeCpio(agentEntries(tools))]);
}

export interface KernelTree {
  /** A folder holding lib/modules/VERSION (an unpacked linux-image package). */
  root: string;
  version: string;
}

/** Finds the module tree in an unpacked kernel package, or unpacks `.deb` files first (Linux, dpkg-deb). */
export async function openKernelTree(source: string, cacheDir: string): Promise<KernelTree> {
  if (!source.endsWith('.deb')) return describeKernelTree(source, source);
  // Keyed by the file's identity too: a newer package saved under the same name is unpacked afresh.
  const { size, mtimeMs } = await fs.stat(source);
  const key = createHash('sha256').update(`${source}\0${size}\0${mtimeMs}`).digest('hex').slice(0, 16);
  const root = path.join(cacheDir, `deb-${key}`);
  if (existsSync(root)) return describeKernelTree(root, source);
  const partial = `${root}.partial`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { recursive: true });
  await execFileAsync('dpkg-deb', ['-x', source, partial]).catch((error: Error) => {
    throw new UserFacingError('ramdisk-deb', `Could not unpack ${source} (${error.message}); unpack it yourself and point Rackboot at the folder.`);
  });
  const tree = await describeKernelTree(partial, source);
  // Debian's kernel packages leave modules.dep to depmod in their postinst: make it here, as the install would.
  await execFileAsync('depmod', ['-b', partial, tree.version]).catch((error: Error) => {
    throw new UserFacingError('ramdisk-deb', `Could not index the modules of ${source} with depmod (${error.message}); install kmod, or unpack the package and run depmod -b DIR VERSION yourself.`);
  });
  await fs.rename(partial, root);
  return { root, version: tree.version };
}

async function describeKernelTree(root: string, source: string): Promise<KernelTree> {
  const versions = await fs.readdir(path.join(root, 'lib/modules')).catch(() => [] as string[]);
  if (versions.length !== 1) {
    throw new UserFacingError(
      'ramdisk-kernel',
      `${source} should hold exactly one lib/modules/VERSION folder (found ${versions.length}); point Rackboot at an unpacked linux-image package.`,
    );
  }
  return { root, version: versions[0]! };
}

/**
 * A complete deploy ramdisk: static busybox, the agent, and the kernel's NIC and disk drivers as a module tree of their
 * own (`lib/modules/VERSION` with `modules.dep` and `modules.alias` cut down to what it holds). The agent loads only the
 * drivers whose aliases match a device the kernel found (busybox modprobe resolves modaliases), so a server pays for
 * its own two or three drivers, not for every one shipped.
 */
export async function buildFullRamdisk(options: { kernel: KernelTree; busybox: string; tools: AgentTools; drivers?: string[] }): Promise<Buffer> {
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
  const { order } = resolveModuleOrder(modulesDep, options.drivers ?? DEFAULT_DRIVERS);
  const busybox = await fs.readFile(options.busybox);
  const entries: CpioEntry[] = [
    ...['sbin', 'usr', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'run'].map(
      (dir): CpioEntry => ({ kind: 'dir', path: dir }),
    ),
    { kind: 'char-device', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
  ];
  for (const dir of parentFolders([`${tree}/modules.dep`, ...order.map((file) => `${tree}/${file}`)])) {
    entries.push({ kind: 'dir', path: dir });
  }
  for (const file of order) entries.push({ kind: 'file', path: `${tree}/${file}`, data: await fs.readFile(path.join(modulesDir, file)) });
  const index = moduleIndex(modulesDep, modulesAlias, order);
  entries.push(
    { kind: 'file', path: `${tree}/modules.dep`, data: Buffer.from(index.modulesDep) },
    { kind: 'file', path: `${tree}/modules.alias`, data: Buffer.from(index.modulesAlias) },
    ...agentEntries(options.tools).filter((entry) => entry.path !== 'bin'),
  );
  return gzipSync(writeCpio(entries), { level: 1 });
}

/** Every folder above the given files, parents first, as a cpio archive must list them. */
function parentFolders(paths: string[]): string[] {
  const folders = new Set<string>();
  for (const file of paths) {
    const parts = file.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) folders.add(parts.slice(0, depth).join('/'));
  }
  return [...folders].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** Builds once per distinct input and keeps the result under the cache folder. */
export async function cachedRamdisk(cacheDir: string, key: string[], build: () => Promise<Buffer>): Promise<string> {
  const hash = createHash('sha256').update(agentInit).update(agentDhcpScript).update(agentFetchImage).update(agentInventory).update(agentWipeMetadata);
  for (const part of key) hash.update(part).update('\0');
  const file = path.join(cacheDir, `ramdisk-${hash.digest('hex').slice(0, 20)}.img`);
  if (!existsSync(file)) await writeFileAtomic(file, await build(), 0o644);
  return file;
}
