import { expect, test } from '@playwright/test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatNodeLine } from '../../electron/inventory/node-lines';
import { inventory } from '../../electron/inventory/test-fixtures';
import { callApi, startHeadlessApp, type HeadlessApp } from './headless-app';
import { keepScreenshot } from './screenshots';
import { step } from './wizard-flow';

let dataDir: string;
let app: HeadlessApp | undefined;

test.beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ui-'));
});
test.afterEach(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * The server and its inventory reach the app the way an operator brings them from another Rackboot: a Rackboot export
 * imported in the wizard (the inventory store is filled by the app itself, never by writing its files behind its back).
 */
async function exportFile(): Promise<string> {
  const file = path.join(dataDir, 'rackboot-nodes.jsonl');
  const node = {
    name: 'r1-s1',
    bmcAddress: '10.1.91.4',
    bmcPort: 623,
    bmcUser: 'root',
    bmcPassword: 'Zq9secret',
    mac: '24:6e:96:00:00:01',
    notes: '',
    rootDeviceHints: null,
    cleaning: 'none' as const,
    inspectedAt: '2026-12-01T10:00:05.000Z',
  };
  await writeFile(file, formatNodeLine(node, inventory()));
  return file;
}

test('the Hardware panel shows the inventory; a picked disk, typed hints and the erase confirmation set the disk choice', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);

  await page.getByRole('button', { name: 'Import servers' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import servers' });
  await importDialog.getByLabel('File to import').setInputFiles(await exportFile());
  await importDialog.getByRole('button', { name: 'Import' }).click();
  await expect(importDialog.getByRole('status')).toContainText('1 server(s) added.');
  await importDialog.getByRole('button', { name: 'Done' }).click();

  await page.getByRole('button', { name: 'Hardware of r1-s1' }).click();
  const panel = page.getByRole('dialog', { name: 'Hardware of r1-s1' });
  await expect(panel.getByLabel('Inspected')).toContainText('Inspected');
  const system = panel.getByRole('table', { name: 'System' });
  await expect(system).toContainText('Dell Inc. PowerEdge R640');
  await expect(system).toContainText('2 × Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz, 32 cores, 64 threads (x86_64)');
  await expect(system).toContainText('64 GiB');
  await expect(system).toContainText('UEFI');
  const disks = panel.getByRole('table', { name: 'Disks' });
  await expect(disks.getByRole('row', { name: /sdb/ })).toContainText("2 partitions, vfat, ext4 'data'");
  await expect(disks.getByRole('row', { name: /sda/ })).toContainText('empty');
  const nics = panel.getByRole('table', { name: 'Network interfaces' });
  await expect(nics.getByRole('row', { name: /eno1/ })).toContainText('Gi1/0/3 on sw-a');
  await expect(nics.getByRole('row', { name: /eno1/ })).toContainText('link up, 10 Gb/s');
  await expect(nics.getByRole('row', { name: /eno2/ })).toContainText('no link');

  // Without hints, the default rule: the smallest fixed disk of at least 4 GiB.
  const preview = panel.getByLabel('Disk preview');
  await expect(preview).toContainText('Will write to sda (480 GB SATA SSD, ATA MZ7LH480HAHQ, serial S45N-sda)');
  await expect(preview).toContainText('smallest fixed disk of at least 4 GiB');
  await expect(disks.getByRole('row', { name: /sda/ })).toContainText('deploy target');

  // Picking a disk sets a hint that survives a renaming by the kernel: its WWN.
  await panel.getByRole('button', { name: 'Deploy to sdb' }).click();
  await expect(preview).toContainText('Will write to sdb (2 TB SATA HDD, ATA ST2000NM0055, serial ZC20ABCD)');
  await expect(panel.getByRole('textbox', { name: 'WWN' })).toHaveValue('0x5000c500a1b2c3d4');
  const [stored] = await callApi(app.url, 'nodes.list', {});
  expect(stored!.rootDeviceHints).toEqual({ wwn: '0x5000c500a1b2c3d4' });
  await keepScreenshot(page, '20-hardware-panel');

  // A typed hint with a bad value is refused with the schema's words, and nothing is saved.
  const hints = panel.getByRole('form', { name: 'Root device hints' });
  await hints.getByRole('textbox', { name: 'Size (GiB)' }).fill('about 500');
  await hints.getByRole('button', { name: 'Save hints' }).click();
  await expect(hints).toContainText('size is whole GiB with an optional operator, like ">= 100" or "480"');
  await hints.getByRole('textbox', { name: 'HCTL' }).fill('0-0-0-0');
  await hints.getByRole('button', { name: 'Save hints' }).click();
  await expect(hints).toContainText('hctl is host:channel:target:lun, like 0:0:0:0');
  expect((await callApi(app.url, 'nodes.list', {}))[0]!.rootDeviceHints).toEqual({ wwn: '0x5000c500a1b2c3d4' });

  // Typed hints that hold: a size range and no WWN pick the small disk.
  await hints.getByRole('textbox', { name: 'WWN' }).fill('');
  await hints.getByRole('textbox', { name: 'HCTL' }).fill('');
  await hints.getByRole('textbox', { name: 'Size (GiB)' }).fill('<= 1000');
  await hints.getByRole('button', { name: 'Save hints' }).click();
  await expect(preview).toContainText('Will write to sda');
  await expect(preview).toContainText('matches the root device hints (size=<= 1000)');
  expect((await callApi(app.url, 'nodes.list', {}))[0]!.rootDeviceHints).toEqual({ size: '<= 1000' });

  // The erase confirmation names what the chosen disk holds; "keep the data" leaves the node unmarked.
  await panel.getByRole('button', { name: 'Deploy to sdb' }).click();
  await expect(preview).toContainText('Will write to sdb');
  const erase = panel.getByRole('checkbox', { name: /Erase this disk/ });
  await erase.click();
  const confirmation = page.getByRole('dialog', { name: 'Erase the disk of r1-s1?' });
  await expect(confirmation).toContainText("sdb: 2 partitions, vfat, ext4 'data', 2 TB — erase and deploy?");
  await keepScreenshot(page, '21-erase-confirmation');
  await confirmation.getByRole('button', { name: 'Keep the data' }).click();
  await expect(erase).not.toBeChecked();
  expect((await callApi(app.url, 'nodes.list', {}))[0]!.eraseTargetDisk).toBe(false);
  await erase.click();
  await confirmation.getByRole('button', { name: 'Erase it when deploying' }).click();
  await expect(erase).toBeChecked();
  expect((await callApi(app.url, 'nodes.list', {}))[0]!.eraseTargetDisk).toBe(true);

  await panel.getByRole('combobox', { name: 'Cleaning before the write' }).click();
  await page.getByRole('option', { name: /Wipe the target disk/ }).click();
  await expect.poll(async () => (await callApi(app!.url, 'nodes.list', {}))[0]!.cleaning).toBe('target');

  // Another disk than the confirmed one asks for the confirmation again.
  await panel.getByRole('button', { name: 'Deploy to sda' }).click();
  await expect(erase).not.toBeChecked();
  await panel.getByRole('button', { name: 'Deploy to sdb' }).click();
  await erase.click();
  await confirmation.getByRole('button', { name: 'Erase it when deploying' }).click();
  await expect(erase).toBeChecked();
  await panel.getByRole('button', { name: 'Close' }).click();

  // The Boot step says, before any deploy, which disk each server's deploy writes and why.
  await step(page, 'Boot');
  const diskCell = page.getByLabel('Disk of r1-s1');
  await expect(diskCell).toContainText('Will write to sdb (2 TB SATA HDD, ATA ST2000NM0055, serial ZC20ABCD)');
  await expect(diskCell).toContainText('matches the root device hints (wwn=0x5000c500a1b2c3d4)');
  await expect(diskCell).toContainText('Erase confirmed. Cleaning: the target disk.');
  await keepScreenshot(page, '22-boot-step-disk');
});

test('a server never inspected says its disk is chosen once the agent has inspected it', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await callApi(app.url, 'nodes.add', { name: 'r1-s2', bmcAddress: '10.1.91.5', bmcUser: 'root', bmcPassword: 'pw', rootDeviceHints: { serial: 'S45N-sda' } });
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Hardware of r1-s2' }).click();
  const panel = page.getByRole('dialog', { name: 'Hardware of r1-s2' });
  await expect(panel.getByLabel('Inspected')).toHaveText('Not inspected yet');
  await expect(panel.getByLabel('Disk preview')).toHaveText('Chosen once the agent has inspected the server: the disk matching serial=S45N-sda.');
  await panel.getByRole('checkbox', { name: /Erase this disk/ }).click();
  await expect(page.getByRole('dialog', { name: 'Erase the disk of r1-s2?' })).toContainText('what its disk holds is unknown');
});
