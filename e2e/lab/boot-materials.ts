import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { resolveModuleOrder } from '../../electron/deploy/modules-dep';
import { run } from '../support/netns';

/**
 * What a simulated server boots: a Debian kernel (from the archive, cached outside the repo), busybox initramfs
 * images built on demand, and the UEFI firmware. Shared by the lab's own tests and the deploy agent's tests.
 */

export const OVMF_PATH = '/usr/share/ovmf/OVMF.fd';
const BUSYBOX_PATH = '/bin/busybox';
const KERNEL_META_PACKAGE = 'linux-image-amd64';

export interface Kernel {
  /** e.g. 6.1.0-56-amd64 */
  version: string;
  vmlinuzPath: string;
  /** lib/modules/VERSION of the extracted package, with a modules.dep made by depmod. */
  modulesDir: string;
}

/** A file to put in the initramfs; strings are written as UTF-8, mode defaults to 0644. */
export type InitramfsFile = string | Uint8Array | { content: string | Uint8Array; mode: number };

export interface InitramfsSpec {
  /** The /init script (mode 0755). `/bin/load-modules` inserts `modules` in dependency order. */
  init: string;
  /** Module names as modprobe knows them (virtio_net, virtio_blk, …); their dependencies are added. */
  modules?: string[];
  /** Needed when `modules` is not empty. */
  kernel?: Kernel;
  /** Absolute paths inside the initramfs → content. */
  extraFiles?: Record<string, InitramfsFile>;
}

/** Where downloads and built images are kept between runs: $RACKBOOT_LAB_CACHE or ~/.cache/rackboot-lab. */
export function labCacheDir(): string {
  return process.env.RACKBOOT_LAB_CACHE || join(homedir(), '.cache', 'rackboot-lab');
}

/**
 * The kernel of Debian's current `linux-image-amd64`, downloaded with apt and unpacked once into the cache.
 * Works offline when a kernel is already cached.
 */
export async function ensureKernel(): Promise<Kernel> {
  const kernelsDir = join(labCacheDir(), 'kernels');
  await mkdir(kernelsDir, { recursive: true });
  const packageName = await currentKernelPackage().catch(async (error: unknown) => {
    const cached = (await readdir(kernelsDir)).filter((name) => existsSync(join(kernelsDir, name, 'complete')));
    const newest = cached.sort().at(-1);
    if (!newest) throw error;
    return newest;
  });
  const root = join(kernelsDir, packageName);
  if (!existsSync(join(root, 'complete'))) await downloadKernel(packageName, kernelsDir, root);
  return describeKernel(root);
}

/**
 * The kernel's Debian package file itself (for the deploy ramdisk's `.deb` source), downloaded once beside the
 * unpacked tree.
 */
export async function ensureKernelPackageFile(kernel: Kernel): Promise<string> {
  const root = join(kernel.modulesDir, '..', '..', '..');
  const file = join(root, 'package.deb');
  if (existsSync(file)) return file;
  const packageName = (await readFile(join(root, 'complete'), 'utf8')).trim();
  const work = await mkdtemp(join(root, '.download-'));
  try {
    await rename(await downloadDebianPackage(packageName, work), file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return file;
}

/** Downloads one Debian package (`name` or `name=version`) with apt into `dir`; the .deb's path. */
export async function downloadDebianPackage(spec: string, dir: string): Promise<string> {
  // apt-get download writes into the working directory.
  await run('apt-get', ['download', '-q', spec], { cwd: dir });
  const deb = (await readdir(dir)).find((name) => name.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${spec} produced no .deb in ${dir}.`);
  return join(dir, deb);
}

async function currentKernelPackage(): Promise<string> {
  const out = await run('apt-cache', ['depends', KERNEL_META_PACKAGE]);
  const match = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)/.exec(out);
  if (!match?.[1]) {
    throw new Error(`apt-cache does not name the kernel behind ${KERNEL_META_PACKAGE}; run apt-get update.`);
  }
  return match[1];
}

async function downloadKernel(packageName: string, kernelsDir: string, root: string): Promise<void> {
  const work = await mkdtemp(join(kernelsDir, `.${packageName}-`));
  try {
    const tree = join(work, 'tree');
    await run('dpkg', ['-x', await downloadDebianPackage(packageName, work), tree]);
    const { version } = await describeKernel(tree);
    await run('depmod', ['-b', tree, version]);
    await writeFile(join(tree, 'complete'), `${packageName}\n`);
    await rename(tree, root).catch((error: unknown) => {
      // Another run unpacked the same kernel meanwhile: keep theirs.
      if (!existsSync(join(root, 'complete'))) throw error;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function describeKernel(root: string): Promise<Kernel> {
  const vmlinuz = (await readdir(join(root, 'boot'))).find((name) => name.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`No vmlinuz in ${join(root, 'boot')}.`);
  const version = vmlinuz.slice('vmlinuz-'.length);
  return { version, vmlinuzPath: join(root, 'boot', vmlinuz), modulesDir: join(root, 'lib', 'modules', version) };
}

/** The firmware file QEMU needs for `firmware: 'uefi'` (Debian package ovmf). */
export function ovmfPath(): string {
  if (!existsSync(OVMF_PATH)) throw new Error(`${OVMF_PATH} is missing: install the Debian package ovmf.`);
  return OVMF_PATH;
}

/** Module files to load for `names`, dependencies first, as paths relative to the modules dir. */
export function moduleLoadOrder(modulesDep: string, names: string[]): string[] {
  const { order, missing } = resolveModuleOrder(modulesDep, names);
  if (missing.length) throw new Error(`Kernel module ${missing.join(', ')} is not in modules.dep (built in, or misspelt?).`);
  return order;
}

const LOAD_MODULES_SCRIPT = `#!/bin/sh
# Inserts the modules this initramfs carries, dependencies first (order made from the kernel's modules.dep).
while read -r module; do
    insmod "/lib/modules/$module" || echo "load-modules: $module did not load"
done </lib/modules/load-order
`;

// udhcpc only reports a lease; this applies it, so `udhcpc -i eth0 -q` leaves the interface usable.
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
bound | renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    for gateway in $router; do ip route add default via "$gateway" dev "$interface"; break; done
    ;;
esac
`;

/**
 * A gzipped newc cpio with static busybox (every applet linked), /init, the requested modules and extra files.
 * Built once per distinct content and kept in the cache; returns its path.
 */
export async function buildInitramfs(spec: InitramfsSpec): Promise<string> {
  const modules = spec.modules ?? [];
  if (modules.length > 0 && !spec.kernel) throw new Error('buildInitramfs needs the kernel to take modules from.');
  const modulePaths = spec.kernel
    ? moduleLoadOrder(await readFile(join(spec.kernel.modulesDir, 'modules.dep'), 'utf8'), modules)
    : [];

  const files = new Map<string, { content: Uint8Array; mode: number }>();
  const put = (path: string, file: InitramfsFile, defaultMode = 0o644): void => {
    const entry = typeof file === 'string' || file instanceof Uint8Array ? { content: file, mode: defaultMode } : file;
    const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : entry.content;
    files.set(path.replace(/^\/+/, ''), { content, mode: entry.mode });
  };
  put('init', spec.init, 0o755);
  put('bin/load-modules', LOAD_MODULES_SCRIPT, 0o755);
  put('etc/udhcpc/default.script', UDHCPC_SCRIPT, 0o755);
  put('lib/modules/load-order', modulePaths.map((path) => `${path}\n`).join(''));
  for (const path of modulePaths) put(`lib/modules/${path}`, await readFile(join(spec.kernel!.modulesDir, path)));
  for (const [path, file] of Object.entries(spec.extraFiles ?? {})) put(path, file);

  const busybox = await readFile(BUSYBOX_PATH);
  const hash = createHash('sha256').update(busybox);
  for (const [path, file] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${path}\0${file.mode}\0${file.content.length}\0`).update(file.content);
  }
  const output = join(labCacheDir(), 'initramfs', `${hash.digest('hex').slice(0, 16)}.cpio.gz`);
  const partial = `${output}.${process.pid}.partial`;
  if (existsSync(output)) return output;

  await mkdir(dirname(output), { recursive: true });
  const stage = await mkdtemp(join(dirname(output), '.stage-'));
  try {
    for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'run', 'mnt', 'etc', 'root']) {
      await mkdir(join(stage, dir), { recursive: true });
    }
    await copyFile(BUSYBOX_PATH, join(stage, 'bin/busybox'));
    const applets = (await run(BUSYBOX_PATH, ['--list-full'])).split('\n').filter(Boolean);
    for (const applet of applets) {
      if (applet === 'bin/busybox') continue;
      await mkdir(dirname(join(stage, applet)), { recursive: true });
      await symlink('/bin/busybox', join(stage, applet)).catch(() => undefined);
    }
    for (const [path, file] of files) {
      const target = join(stage, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content);
      await chmod(target, file.mode);
    }
    const cpio = `${partial}.cpio`;
    const archive = 'cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet > "$2"';
    await run('sh', ['-c', archive, 'sh', stage, cpio]);
    await writeFile(partial, gzipSync(await readFile(cpio)));
    await rm(cpio);
    await rename(partial, output);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return output;
}

/**
 * The proof that a network boot reached Linux: an initramfs that loads the virtio NIC, takes a lease, prints
 * `MARKER uuid=<SMBIOS UUID> ip=<address/prefix>` on the console and powers the machine off.
 */
export function buildMarkerInitramfs(kernel: Kernel, marker: string): Promise<string> {
  return buildInitramfs({
    kernel,
    modules: ['virtio_pci', 'virtio_net'],
    init: [
      '#!/bin/sh',
      'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev',
      'exec >/dev/console 2>&1',
      'load-modules',
      'for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 0.2; done',
      'udhcpc -i eth0 -t 5 -T 1 -q -n',
      `echo "${marker} uuid=$(cat /sys/class/dmi/id/product_uuid) ip=$(ip -4 -o addr show eth0 | awk '{print $4}')"`,
      'poweroff -f',
      '',
    ].join('\n'),
  });
}
