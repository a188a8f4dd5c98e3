import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinRamdiskManifestSchema, type BuiltinRamdiskStatus } from '../../shared/deploy';

/**
 * The files of the built-in ramdisk in its folder (scripts/build-ramdisk.ts writes them): the kernel, the initrd it
 * boots (busybox and the module index, no drivers), and the drivers' folder (lib/modules, lib/firmware) from which
 * each server is sent the drivers its devices match (builtin-drivers.ts).
 */
export const BUILTIN_FILES = { kernel: 'vmlinuz', initrd: 'initrd.cpio.gz', drivers: 'drivers', manifest: 'manifest.json' } as const;

/** From the sources and from the bundles alike, the build leaves it in dist/ramdisk. */
const builtDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/ramdisk');

/**
 * Where the built-in ramdisk is: $RACKBOOT_RAMDISK_DIR alone when set, else beside a packaged app
 * (electron-builder's extraResources put it in resources/ramdisk), then the build's dist/ramdisk.
 */
export function builtinRamdiskDirs(): string[] {
  if (process.env.RACKBOOT_RAMDISK_DIR) return [process.env.RACKBOOT_RAMDISK_DIR];
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  return resources ? [path.join(resources, 'ramdisk'), builtDir] : [builtDir];
}

export interface BuiltinRamdisk {
  dir: string;
  kernel: string;
  initrd: string;
  drivers: string;
  status: BuiltinRamdiskStatus & { available: true };
}

/** The built-in ramdisk, or why it is not there in words that say how to make it. */
export async function findBuiltinRamdisk(dirs = builtinRamdiskDirs()): Promise<BuiltinRamdisk | { available: false; reason: string }> {
  for (const dir of dirs) {
    const manifestFile = path.join(dir, BUILTIN_FILES.manifest);
    if (!existsSync(manifestFile)) continue;
    const parsed = builtinRamdiskManifestSchema.safeParse(JSON.parse(await fs.readFile(manifestFile, 'utf8').catch(() => 'null')));
    const kernel = path.join(dir, BUILTIN_FILES.kernel);
    const initrd = path.join(dir, BUILTIN_FILES.initrd);
    const drivers = path.join(dir, BUILTIN_FILES.drivers);
    if (!parsed.success || !existsSync(kernel) || !existsSync(initrd) || !existsSync(drivers)) {
      return { available: false, reason: `The built-in deploy ramdisk in ${dir} is incomplete: run npm run ramdisk to build it again, or choose a ramdisk under Advanced.` };
    }
    return { dir, kernel, initrd, drivers, status: { available: true, manifest: parsed.data } };
  }
  return {
    available: false,
    reason: 'The built-in deploy ramdisk is not built: run npm run ramdisk (it downloads Debian 12\'s kernel and firmware), or choose a ramdisk under Advanced.',
  };
}
