// Finds iPXE boot loaders on this machine. They are never part of the repository: the packaged app may carry them
// in its resources, the operator may configure a folder, or the distribution's ipxe package provides them.
import { stat } from 'node:fs/promises';
import path from 'node:path';

export type BootloaderKind = 'bios' | 'uefi-x64' | 'uefi-x64-snp';

export interface Bootloader {
  kind: BootloaderKind;
  /** The name we serve it under over TFTP/HTTP, the same on every distribution. */
  servedName: string;
  path: string;
}

export interface BootloaderSearch {
  /** A folder the operator chose in the settings; searched first. */
  configuredDir?: string;
  /** The packaged app's resources folder (process.resourcesPath/ipxe in Electron). */
  resourcesDir?: string;
  /** Distribution folders; defaults to Debian/Ubuntu and Fedora/Arch locations. */
  systemDirs?: string[];
}

export interface BootloaderReport {
  found: Bootloader[];
  missing: BootloaderKind[];
  searched: string[];
  /** What to tell the operator when something is missing; null when all kinds were found. */
  advice: string | null;
}

export const SYSTEM_DIRS = ['/usr/lib/ipxe', '/usr/share/ipxe'];

/** Served name, then the file names distributions use for it (Debian first, then Fedora, then Arch). */
const KINDS: Record<BootloaderKind, { servedName: string; candidates: string[]; purpose: string }> = {
  bios: { servedName: 'undionly.kpxe', candidates: ['undionly.kpxe'], purpose: 'BIOS PXE' },
  'uefi-x64': {
    servedName: 'ipxe.efi',
    candidates: ['ipxe.efi', 'ipxe-x86_64.efi', 'x86_64/ipxe.efi'],
    purpose: 'UEFI x86-64',
  },
  'uefi-x64-snp': {
    servedName: 'snponly.efi',
    candidates: ['snponly.efi', 'ipxe-snponly-x86_64.efi', 'x86_64/snponly.efi'],
    purpose: 'UEFI x86-64 using the firmware network driver',
  },
};

export async function findBootloaders(search: BootloaderSearch = {}): Promise<BootloaderReport> {
  const dirs = [search.configuredDir, search.resourcesDir, ...(search.systemDirs ?? SYSTEM_DIRS)].filter(
    (d): d is string => typeof d === 'string' && d.length > 0,
  );
  const found: Bootloader[] = [];
  const missing: BootloaderKind[] = [];
  for (const [kind, spec] of Object.entries(KINDS) as [BootloaderKind, (typeof KINDS)[BootloaderKind]][]) {
    const location = await firstFile(dirs.flatMap((dir) => spec.candidates.map((name) => path.join(dir, name))));
    if (location) found.push({ kind, servedName: spec.servedName, path: location });
    else missing.push(kind);
  }
  return { found, missing, searched: dirs, advice: missing.length === 0 ? null : adviceFor(missing, dirs, search.configuredDir) };
}

/** Served name → file, ready for the TFTP server's `extraFiles`. */
export function bootloaderFiles(found: Bootloader[]): Map<string, string> {
  return new Map(found.map((b) => [b.servedName, b.path]));
}

function adviceFor(missing: BootloaderKind[], searched: string[], configuredDir: string | undefined): string {
  const what = missing.map((k) => `${KINDS[k].servedName} (${KINDS[k].purpose})`).join(', ');
  return (
    `No iPXE boot loader found for ${what}; looked in ${searched.join(', ')}. Install the iPXE package and ` +
    `start the PXE services again: Debian/Ubuntu \`sudo apt install ipxe\`, Fedora \`sudo dnf install ` +
    `ipxe-bootimgs-x86\`, Arch \`sudo pacman -S ipxe\`. Or copy the files into ` +
    `${configuredDir ?? 'a folder and choose it in the PXE settings'}.`
  );
}

async function firstFile(candidates: string[]): Promise<string | null> {
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not there; try the next location
    }
  }
  return null;
}
