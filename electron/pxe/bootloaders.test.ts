import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootloaderFiles, findBootloaders } from './bootloaders';

let base: string;
const layout = async (dir: string, names: string[]): Promise<string> => {
  const full = path.join(base, dir);
  for (const name of names) {
    await mkdir(path.dirname(path.join(full, name)), { recursive: true });
    await writeFile(path.join(full, name), name);
  }
  return full;
};
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'rackboot-ipxe-'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

it('finds the Debian/Ubuntu layout under the names we serve', async () => {
  const debian = await layout('debian', ['undionly.kpxe', 'ipxe.efi', 'snponly.efi']);
  const report = await findBootloaders({ systemDirs: [debian] });
  expect(report.missing).toEqual([]);
  expect(report.advice).toBeNull();
  expect(bootloaderFiles(report.found)).toEqual(
    new Map([
      ['undionly.kpxe', path.join(debian, 'undionly.kpxe')],
      ['ipxe.efi', path.join(debian, 'ipxe.efi')],
      ['snponly.efi', path.join(debian, 'snponly.efi')],
    ]),
  );
});

it('maps Fedora file names to the same served names', async () => {
  const fedora = await layout('fedora', ['undionly.kpxe', 'ipxe-x86_64.efi', 'ipxe-snponly-x86_64.efi']);
  const report = await findBootloaders({ systemDirs: [fedora] });
  expect(report.found.map((b) => [b.servedName, path.basename(b.path)])).toEqual([
    ['undionly.kpxe', 'undionly.kpxe'],
    ['ipxe.efi', 'ipxe-x86_64.efi'],
    ['snponly.efi', 'ipxe-snponly-x86_64.efi'],
  ]);
});

it('prefers the configured folder, then the app resources, then the system', async () => {
  const configured = await layout('configured', ['ipxe.efi']);
  const resources = await layout('resources', ['ipxe.efi', 'undionly.kpxe']);
  const system = await layout('system', ['undionly.kpxe', 'ipxe.efi', 'snponly.efi']);
  const report = await findBootloaders({ configuredDir: configured, resourcesDir: resources, systemDirs: [system] });
  const byName = bootloaderFiles(report.found);
  expect(byName.get('ipxe.efi')).toBe(path.join(configured, 'ipxe.efi'));
  expect(byName.get('undionly.kpxe')).toBe(path.join(resources, 'undionly.kpxe'));
  expect(byName.get('snponly.efi')).toBe(path.join(system, 'snponly.efi'));
});

it('tells the operator which package to install when nothing is found', async () => {
  const empty = await layout('empty', []);
  const report = await findBootloaders({ systemDirs: [empty] });
  expect(report.missing).toEqual(['bios', 'uefi-x64', 'uefi-x64-snp']);
  expect(report.advice).toContain('sudo apt install ipxe');
  expect(report.advice).toContain('sudo dnf install ipxe-bootimgs-x86');
  expect(report.advice).toContain(empty);
});
