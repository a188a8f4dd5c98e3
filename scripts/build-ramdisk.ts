// Builds the built-in deploy ramdisk from Debian 12's own packages: the current bookworm kernel, busybox-static and
// the non-free-firmware packages that hold what its storage and network drivers ask for. Downloads are checked
// against the archive's signed InRelease → Packages → .deb checksums. The result is cached under
// ~/.cache/rackboot/ramdisk/<key> (the key covers every input) and copied to dist/ramdisk, which the app serves and
// electron-builder packs (extraResources). Run by `npm run build`; `npm run ramdisk` alone rebuilds it.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { builtinRamdiskManifestSchema, type BuiltinRamdiskManifest } from '../shared/deploy';
import { BUILTIN_FILES } from '../electron/deploy/builtin-ramdisk';
import { writeCpio, type CpioEntry } from '../electron/deploy/cpio';
import { deployModules } from '../electron/deploy/driver-set';
import { ramdiskContents } from '../electron/deploy/ramdisk-tree';
import { kernelBehind, type PackageEntry } from './ramdisk/debian-archive';
import { fetchPackage, openArchive, packageIndex, unpackPackage } from './ramdisk/fetch-debian';

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MIRROR = process.env.RACKBOOT_DEBIAN_MIRROR || 'https://deb.debian.org/debian';
const SUITE = 'bookworm';
const KERNEL_META_PACKAGE = 'linux-image-amd64';
/**
 * The non-free-firmware packages that hold the files Debian 6.1's storage and network drivers name: Broadcom
 * (bnx2, bnx2x, tg3's tigon), QLogic (qla2xxx, qed/qede, netxen), Intel (ice DDP), Realtek, Myricom, Cavium.
 * Wireless, GPU and sound firmware packages are left out with their drivers. So is firmware-netronome: its Agilio
 * SmartNIC images are 25 MiB unpacked, most of what the ramdisk would hold, and the ramdisk lives in the server's RAM
 * (a 256 MiB lab server did not boot with them); the nfp driver is still carried.
 */
const FIRMWARE_PACKAGES = [
  'firmware-bnx2', 'firmware-bnx2x', 'firmware-misc-nonfree', 'firmware-qlogic', 'firmware-netxen', 'firmware-realtek',
  'firmware-myricom', 'firmware-cavium',
];
/** What the build is made of besides the packages: a change to any of them is a new ramdisk. */
const BUILDER_SOURCES = [
  'scripts/build-ramdisk.ts', 'electron/deploy/driver-set.ts', 'electron/deploy/firmware.ts', 'electron/deploy/module-info.ts',
  'electron/deploy/modules-dep.ts', 'electron/deploy/ramdisk-tree.ts', 'electron/deploy/cpio.ts', 'electron/deploy/builtin-ramdisk.ts',
];

const cacheRoot = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'rackboot', 'ramdisk');
const outDir = path.join(repo, 'dist', 'ramdisk');

function log(message: string): void {
  console.log(`ramdisk: ${message}`);
}

async function builderDigest(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of BUILDER_SOURCES) hash.update(file).update('\0').update(await readFile(path.join(repo, file)));
  return hash.digest('hex');
}

interface Inputs {
  kernel: PackageEntry;
  busybox: PackageEntry;
  firmware: PackageEntry[];
  distribution: string;
  signatureChecked: boolean;
  key: string;
  fetch: (entry: PackageEntry) => Promise<string>;
}

async function resolveInputs(): Promise<Inputs> {
  const archive = await openArchive(MIRROR, SUITE);
  if (!archive.signatureChecked) log('gpgv or debian-archive-keyring is missing: InRelease is used unsigned (checksums are still checked).');
  const [main, nonFree] = await Promise.all([packageIndex(archive, 'main'), packageIndex(archive, 'non-free-firmware')]);
  const need = (index: Map<string, PackageEntry>, name: string): PackageEntry => {
    const entry = index.get(name);
    if (!entry) throw new Error(`${SUITE} has no package ${name}.`);
    return entry;
  };
  const kernel = need(main, kernelBehind(need(main, KERNEL_META_PACKAGE)));
  const busybox = need(main, 'busybox-static');
  const firmware = FIRMWARE_PACKAGES.map((name) => need(nonFree, name));
  const hash = createHash('sha256').update(await builderDigest());
  for (const entry of [kernel, busybox, ...firmware]) hash.update(entry.sha256);
  return {
    kernel,
    busybox,
    firmware,
    distribution: `Debian ${archive.release.version} (${archive.release.codename})`,
    signatureChecked: archive.signatureChecked,
    key: hash.digest('hex').slice(0, 16),
    fetch: (entry) => fetchPackage(archive, entry, path.join(cacheRoot, 'debs')),
  };
}

async function build(inputs: Inputs, target: string): Promise<BuiltinRamdiskManifest> {
  const work = await mkdtemp(path.join(cacheRoot, '.work-'));
  try {
    log(`downloading ${inputs.kernel.name} ${inputs.kernel.version}, busybox-static and ${inputs.firmware.length} firmware packages`);
    const kernelDir = path.join(work, 'kernel');
    const busyboxDir = path.join(work, 'busybox');
    const firmwareDir = path.join(work, 'firmware');
    await unpackPackage(await inputs.fetch(inputs.kernel), kernelDir);
    await unpackPackage(await inputs.fetch(inputs.busybox), busyboxDir);
    for (const entry of inputs.firmware) await unpackPackage(await inputs.fetch(entry), firmwareDir);
    const [release] = await readdir(path.join(kernelDir, 'lib/modules'));
    if (!release) throw new Error(`${inputs.kernel.name} holds no lib/modules/VERSION.`);
    // Debian's kernel packages leave modules.dep and modules.alias to depmod in their postinst.
    await execFileAsync('depmod', ['-b', kernelDir, release]).catch((error: Error) => {
      throw new Error(`depmod failed (${error.message}): the ramdisk build needs kmod.`);
    });
    const firmwareRoot = existsSync(path.join(firmwareDir, 'lib/firmware')) ? path.join(firmwareDir, 'lib/firmware') : path.join(firmwareDir, 'usr/lib/firmware');
    const contents = await ramdiskContents({
      kernel: { root: kernelDir, version: release },
      busybox: path.join(busyboxDir, 'bin/busybox'),
      firmwareDir: firmwareRoot,
    });
    const initrd = gzipSync(writeCpio(contents.base), { level: 9 });
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, BUILTIN_FILES.initrd), initrd);
    const driversBytes = await writeTree(path.join(target, BUILTIN_FILES.drivers), contents.drivers);
    await copyFile(path.join(kernelDir, 'boot', `vmlinuz-${release}`), path.join(target, BUILTIN_FILES.kernel));
    const modulesDep = await readFile(path.join(kernelDir, 'lib/modules', release, 'modules.dep'), 'utf8');
    const manifest: BuiltinRamdiskManifest = {
      key: inputs.key,
      distribution: inputs.distribution,
      kernelRelease: release,
      kernelVersion: inputs.kernel.version.split('-')[0]!,
      drivers: deployModules(modulesDep).drivers.length,
      modules: contents.modules.length,
      firmwareFiles: contents.firmware.files.length,
      firmwareMissing: contents.firmware.missing,
      kernelBytes: (await stat(path.join(target, BUILTIN_FILES.kernel))).size,
      initrdBytes: initrd.length,
      driversBytes,
      packages: [inputs.kernel, inputs.busybox, ...inputs.firmware].map(({ name, version, sha256 }) => ({ name, version, sha256 })),
      signatureChecked: inputs.signatureChecked,
    };
    await writeFile(path.join(target, BUILTIN_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes the drivers' folders, files and links under `root`; returns the bytes of the files. */
async function writeTree(root: string, entries: CpioEntry[]): Promise<number> {
  let bytes = 0;
  for (const entry of entries) {
    const where = path.join(root, entry.path);
    if (entry.kind === 'dir') await mkdir(where, { recursive: true });
    else if (entry.kind === 'file') {
      await writeFile(where, entry.data, { mode: entry.mode ?? 0o644 });
      bytes += entry.data.length;
    } else if (entry.kind === 'symlink') await symlink(entry.target, where);
    else throw new Error(`the drivers hold a ${entry.kind} (${entry.path}), which a folder cannot`);
  }
  return bytes;
}

/** The newest complete build in the cache, for a build machine that cannot reach the archive right now. */
async function newestCached(): Promise<string | null> {
  const builds: Array<{ dir: string; at: number }> = [];
  for (const name of await readdir(cacheRoot).catch(() => [] as string[])) {
    const manifest = path.join(cacheRoot, name, BUILTIN_FILES.manifest);
    if (/^[0-9a-f]{16}$/.test(name) && existsSync(manifest)) builds.push({ dir: path.join(cacheRoot, name), at: (await stat(manifest)).mtimeMs });
  }
  return builds.sort((a, b) => b.at - a.at)[0]?.dir ?? null;
}

async function publish(source: string): Promise<BuiltinRamdiskManifest> {
  const manifest = builtinRamdiskManifestSchema.parse(JSON.parse(await readFile(path.join(source, BUILTIN_FILES.manifest), 'utf8')));
  const current = await readFile(path.join(outDir, BUILTIN_FILES.manifest), 'utf8').catch(() => '');
  if (!current.includes(`"key": "${manifest.key}"`)) {
    const staging = `${outDir}.${process.pid}.partial`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    for (const file of Object.values(BUILTIN_FILES)) await cp(path.join(source, file), path.join(staging, file), { recursive: true, verbatimSymlinks: true });
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir);
  }
  return manifest;
}

async function main(): Promise<void> {
  await mkdir(cacheRoot, { recursive: true });
  let source: string;
  try {
    const inputs = await resolveInputs();
    source = path.join(cacheRoot, inputs.key);
    if (!existsSync(path.join(source, BUILTIN_FILES.manifest))) {
      const partial = `${source}.${process.pid}.partial`;
      await rm(partial, { recursive: true, force: true });
      await build(inputs, partial);
      // Another build of the same inputs may have finished meanwhile: either copy is the same ramdisk.
      await rename(partial, source).catch(async () => rm(partial, { recursive: true, force: true }));
    }
  } catch (error) {
    const cached = await newestCached();
    if (!cached) throw error;
    log(`${(error as Error).message} — using the cached build ${path.basename(cached)}`);
    source = cached;
  }
  const manifest = await publish(source);
  log(
    `${manifest.distribution}, kernel ${manifest.kernelVersion} (${manifest.kernelRelease}): ${manifest.drivers} drivers ` +
      `(${manifest.modules} modules), ${manifest.firmwareFiles} firmware files, initrd ${(manifest.initrdBytes / 1048576).toFixed(1)} MiB → ${path.relative(repo, outDir)}`,
  );
}

main().catch((error: unknown) => {
  console.error(`ramdisk: the built-in deploy ramdisk could not be built: ${error instanceof Error ? error.message : String(error)}`);
  console.error('ramdisk: it needs deb.debian.org (or RACKBOOT_DEBIAN_MIRROR), dpkg-deb and depmod (kmod); npm run ramdisk tries again.');
  process.exit(1);
});
