import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { UserFacingError } from '../lib/user-facing-error';
import { writeFileAtomic } from '../lib/atomic-file';
import { writeCpio, type CpioEntry } from './cpio';
import { ramdiskContents, type KernelTree } from './ramdisk-tree';
import type { AgentTools } from './agent-tools';

export type { KernelTree } from './ramdisk-tree';
import agentInit from './agent/init.sh?raw';
import agentDhcpScript from './agent/udhcpc.sh?raw';
import agentFetchImage from './agent/fetch-image.sh?raw';
import agentVerifyImage from './agent/verify-image.sh?raw';
import agentConfigDrive from './agent/config-drive.sh?raw';
import agentInventory from './agent/inventory.sh?raw';
import agentWipeMetadata from './agent/wipe-metadata.sh?raw';
import agentLldp from './agent/lldp.sh?raw';

const execFileAsync = promisify(execFile);

/** The agent's scripts by their path in the ramdisk. */
const AGENT_SCRIPTS: Record<string, string> = {
  init: agentInit,
  'etc/rackboot/udhcpc.sh': agentDhcpScript,
  'etc/rackboot/fetch-image.sh': agentFetchImage,
  'etc/rackboot/verify-image.sh': agentVerifyImage,
  'etc/rackboot/config-drive.sh': agentConfigDrive,
  'etc/rackboot/inventory.sh': agentInventory,
  'etc/rackboot/lldp.sh': agentLldp,
  'etc/rackboot/wipe-metadata.sh': agentWipeMetadata,
};

/** The agent's own files, as a cpio archive the kernel can unpack on top of any initramfs. */
export function agentEntries(tools: AgentTools): CpioEntry[] {
  return [
    { kind: 'dir', path: 'bin' },
    ...tools.entries,
    { kind: 'dir', path: 'etc' },
    { kind: 'dir', path: 'etc/rackboot' },
    ...Object.entries(AGENT_SCRIPTS).map(([file, script]): CpioEntry => ({ kind: 'file', path: file, data: Buffer.from(script), mode: 0o755 })),
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

/** A complete deploy ramdisk: `ramdiskContents` and the agent, as one gzipped cpio archive. */
export async function buildFullRamdisk(options: { kernel: KernelTree; busybox: string; tools: AgentTools; firmwareDir?: string }): Promise<Buffer> {
  const contents = await ramdiskContents(options);
  return gzipSync(writeCpio([...contents.base, ...contents.drivers, ...agentEntries(options.tools).filter((entry) => entry.path !== 'bin')]), { level: 1 });
}

/** Builds once per distinct input and keeps the result under the cache folder. */
export async function cachedRamdisk(cacheDir: string, key: string[], build: () => Promise<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for (const [file, script] of Object.entries(AGENT_SCRIPTS)) hash.update(file).update('\0').update(script).update('\0');
  for (const part of key) hash.update(part).update('\0');
  const file = path.join(cacheDir, `ramdisk-${hash.digest('hex').slice(0, 20)}.img`);
  if (!existsSync(file)) await writeFileAtomic(file, await build(), 0o644);
  return file;
}
