import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { callApi, startHeadlessApp, type HeadlessApp } from './headless-app';
import { step } from './wizard-flow';
import { keepScreenshot } from './screenshots';

let dataDir: string;
let app: HeadlessApp | undefined;

test.beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ui-'));
});
test.afterEach(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function addServer(page: Page, name: string, address: string, user: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Add server' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'BMC address' }).fill(address);
  await dialog.getByRole('textbox', { name: 'BMC user' }).fill(user);
  await dialog.getByLabel('BMC password').fill(password);
  await dialog.getByRole('button', { name: 'Add server' }).click();
  await expect(dialog).toBeHidden();
}

test('servers added and imported in the wizard survive a restart; a bad hardware_info line is reported', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'Servers and their BMCs' })).toBeVisible();
  await keepScreenshot(page, '01-bmc-step-empty');

  await addServer(page, 'rack4-u12', '10.1.91.4', 'root', 'password');
  await addServer(page, 'rack4-u14', '10.1.91.5', 'ADMIN', 'ADMIN');
  const table = page.getByRole('table', { name: 'Servers' });
  await expect(table.getByRole('row')).toHaveCount(3);

  const hardwareInfo = path.join(dataDir, 'hardware_info');
  await writeFile(hardwareInfo, '10.1.91.6 00:1B:24:78:4C:B2 root password\n10.1.91.7 not-a-mac root password\n');
  await page.getByRole('button', { name: 'Import servers' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import servers' });
  await importDialog.getByLabel('File to import').setInputFiles(hardwareInfo);
  await expect(importDialog.getByRole('textbox', { name: 'Lines to import' })).toHaveValue(/10\.1\.91\.7/);
  await importDialog.getByRole('button', { name: 'Import' }).click();
  const report = importDialog.getByRole('status');
  await expect(report).toContainText('1 server(s) added, 1 line(s) skipped');
  await expect(report.getByRole('list', { name: 'Skipped lines' })).toContainText('Line 2:');
  await expect(report).toContainText('not-a-mac');
  await keepScreenshot(page, '02-import-report');
  await importDialog.getByRole('button', { name: 'Done' }).click();
  await expect(table.getByRole('row')).toHaveCount(4);

  await app.stop();
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  const rows = page.getByRole('table', { name: 'Servers' }).getByRole('row');
  await expect(rows).toHaveCount(4);
  await expect(rows.filter({ hasText: 'rack4-u12' })).toContainText('10.1.91.4');
  await expect(rows.filter({ hasText: 'rack4-u14' })).toContainText('ADMIN');
  await expect(rows.filter({ hasText: '10.1.91.6' })).toContainText('00:1b:24:78:4c:b2');
  await keepScreenshot(page, '03-after-restart');
});

test('an export downloads hardware_info with passwords only when ticked, and no password ever reaches the page', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await callApi(app.url, 'nodes.add', { name: 'r1', bmcAddress: '10.1.91.4', bmcUser: 'root', bmcPassword: 'Zq9secret', mac: '52:54:00:00:00:01' });
  const frames: string[] = [];
  page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => frames.push(String(payload))));
  await page.goto(app.url);

  const exportOnce = async (): Promise<string> => {
    const dialog = page.getByRole('dialog', { name: 'Export servers' });
    const download = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    return readFile((await (await download).path())!, 'utf8');
  };

  await page.getByRole('button', { name: 'Export servers' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export servers' });
  const includePasswords = dialog.getByRole('checkbox', { name: 'Include passwords' });
  await expect(includePasswords).not.toBeChecked();
  const without = await exportOnce();
  expect(without).toContain('10.1.91.4 52:54:00:00:00:01 root ********');
  expect(without).not.toContain('Zq9secret');
  await expect(dialog.getByRole('status')).toContainText('1 server(s), without passwords');

  await includePasswords.check();
  await expect(dialog).toContainText('every BMC password in clear text');
  await keepScreenshot(page, '06-export-dialog');
  expect(await exportOnce()).toBe('10.1.91.4 52:54:00:00:00:01 root Zq9secret\n');
  await expect(dialog.getByRole('status')).toContainText('1 server(s), with their passwords');

  expect(frames.length).toBeGreaterThan(0);
  for (const frame of frames) expect(frame).not.toContain('Zq9secret');
});

test('an import report shows no password, even one with spaces or on a line missing a field', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Import servers' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import servers' });
  await importDialog
    .getByRole('textbox', { name: 'Lines to import' })
    .fill('10.1.91.6 00:1B:24:78:4C:B6 root correct horse\n10.1.91.7 root Sw0rdf1sh\n10.1.91.8 not-a-mac root Zq9secret');
  await importDialog.getByRole('button', { name: 'Import' }).click();
  const report = importDialog.getByRole('status');
  await expect(report).toContainText('0 server(s) added, 3 line(s) skipped');
  await expect(report).toContainText('not-a-mac');
  for (const secret of ['correct', 'horse', 'Sw0rdf1sh', 'Zq9secret']) await expect(report).not.toContainText(secret);
});

test('a rack of 10,000 servers shows a page at a time, and one added in another window appears at once', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  const hex = (value: number): string => value.toString(16).padStart(2, '0');
  const lines = Array.from({ length: 10_000 }, (_, i) => `10.2.${i >> 8}.${i & 255} 52:54:00:02:${hex(i >> 8)}:${hex(i & 255)} root pw`);
  expect((await callApi(app.url, 'nodes.importHardwareInfo', { text: lines.join('\n') })).added).toBe(10_000);
  await page.goto(app.url);
  const table = page.getByRole('table', { name: 'Servers' });
  await expect(table.getByRole('row')).toHaveCount(51);
  await expect(page.getByText('1–50 of 10,000')).toBeVisible();
  await callApi(app.url, 'nodes.add', { name: 'late-arrival', bmcAddress: '10.3.0.1', bmcUser: 'root', bmcPassword: 'pw' });
  await expect(page.getByText('1–50 of 10,001')).toBeVisible();
  await page.getByRole('button', { name: 'Go to next page' }).click();
  await expect(table).toContainText('10.2.0.50');
});

test('the form says what is wrong before anything is sent', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Add server' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('bad');
  await dialog.getByRole('textbox', { name: 'BMC address' }).fill('10.1.91.300');
  await dialog.getByRole('textbox', { name: 'MAC address (optional)' }).fill('00:11');
  await dialog.getByRole('button', { name: 'Add server' }).click();
  await expect(dialog).toContainText('BMC address must be an IPv4 address');
  await expect(dialog).toContainText('MAC must look like');
  await expect(dialog).toContainText('BMC user is required');
  await keepScreenshot(page, '04-form-validation');
});

test('edits and removals go through the API and show at once', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  await addServer(page, 'edit-me', '10.1.91.8', 'root', 'pw');
  await page.getByRole('button', { name: 'Edit edit-me' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit edit-me' });
  await dialog.getByRole('textbox', { name: 'MAC address (optional)' }).fill('52:54:00:AA:BB:CC');
  await dialog.getByRole('button', { name: 'Save' }).click();
  const table = page.getByRole('table', { name: 'Servers' });
  await expect(table).toContainText('52:54:00:aa:bb:cc');
  await page.getByRole('button', { name: 'Remove edit-me' }).click();
  await expect(page.getByText('No servers yet')).toBeVisible();
});

test('an image added in the Image step shows its sizes and checksum, checks a SHA256SUMS, and a truncated qcow2 is turned away', async ({ page }) => {
  const imagePath = path.join(dataDir, 'tiny.raw');
  const content = Buffer.alloc(5 * 1024 * 1024, 0x5a);
  await writeFile(imagePath, content);
  await writeFile(path.join(dataDir, 'cloud.qcow2'), Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(64)]));
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  await step(page, 'Image');
  await page.getByRole('radio', { name: 'UEFI' }).check();
  await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(imagePath);
  const row = page.getByRole('table', { name: 'Images' }).getByRole('row', { name: /tiny\.raw/ });
  const expected = createHash('sha256').update(content).digest('hex');
  await expect(row).toContainText('5.0 MiB');
  await expect(row).toContainText('UEFI');
  await expect(row).toContainText(expected.slice(0, 16));
  const details = page.getByTestId(/^image-details-/);
  await expect(details).toContainText('Data: 5.0 MiB (100 %, 1 extent)');
  const checksum = page.getByRole('textbox', { name: 'Checksum for tiny.raw' });
  await checksum.fill(`${'0'.repeat(64)}  tiny.raw\n`);
  await details.getByRole('button', { name: 'Check' }).click();
  await expect(details.getByRole('alert')).toContainText('damaged or another version');
  await checksum.fill(`${'0'.repeat(64)}  other.raw\n${expected} *tiny.raw\n`);
  await details.getByRole('button', { name: 'Check' }).click();
  await expect(details.getByRole('alert')).toContainText("The file's SHA-256 matches");
  await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(path.join(dataDir, 'cloud.qcow2'));
  await expect(page.getByRole('alert').filter({ hasText: 'qcow2' })).toContainText('This qcow2 file is truncated or damaged');
  await keepScreenshot(page, '05-image-step');
});
