import { expect, test, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { missingTools, randomPortBase, startIpmiSim, type SimInstance } from '../ipmi/ipmi-sim';
import { startHeadlessApp, type HeadlessApp } from './headless-app';
import { keepScreenshot } from './screenshots';

// Get System GUID returns the UUID in SMBIOS byte order (first three fields little-endian): these bytes are the
// UUID 89abcdef-0123-4567-89ab-cdef01234567, the one QEMU would be given with -uuid.
const GUID = 'efcdab892301674589abcdef01234567';
const missing = missingTools();
if (missing) console.log(`skipped: BMC tests need ${missing}`);

let dataDir: string;
let app: HeadlessApp | undefined;
let sim: SimInstance | undefined;

test.beforeEach(async () => {
  test.skip(missing !== null, `needs ${missing}`);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ui-bmc-'));
  sim = await startIpmiSim({ address: '127.0.0.1', port: randomPortBase(), guid: GUID, chassisControl: true });
  app = await startHeadlessApp(dataDir);
});
test.afterEach(async () => {
  await app?.stop();
  await sim?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function addServer(page: Page, name: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Add server' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'BMC address' }).fill('127.0.0.1');
  await dialog.getByRole('textbox', { name: 'BMC port' }).fill(String(sim!.port));
  await dialog.getByRole('textbox', { name: 'BMC user' }).fill('root');
  await dialog.getByLabel('BMC password').fill(password);
  await dialog.getByRole('button', { name: 'Add server' }).click();
  await expect(dialog).toBeHidden();
}

test('Test connection shows the BMC’s maker, firmware, power state and System GUID (ipmi_sim)', async ({ page }) => {
  await page.goto(app!.url);
  await addServer(page, 'sim-1', 'password');
  await page.getByRole('button', { name: 'Test connection to sim-1' }).click();
  const row = page.getByRole('row', { name: /sim-1/ });
  await expect(row).toContainText('firmware', { timeout: 15_000 });
  await expect(row).toContainText('Power off');
  await expect(row).toContainText('GUID 89abcdef-0123-4567-89ab-cdef01234567');
  await expect(row.getByText('off', { exact: true })).toBeVisible();
  await keepScreenshot(page, '06-bmc-test-connection');
});

test('a wrong BMC password is shown in plain words with where to check', async ({ page }) => {
  await page.goto(app!.url);
  await addServer(page, 'sim-bad', 'not-the-password');
  await page.getByRole('button', { name: 'Test connection to sim-bad' }).click();
  const row = page.getByRole('row', { name: /sim-bad/ });
  await expect(row.getByRole('alert')).toContainText('rejected user root: wrong password — check BMC LAN Configuration in BIOS', {
    timeout: 15_000,
  });
  await expect(row).not.toContainText('not-the-password');
  await keepScreenshot(page, '07-bmc-wrong-password');
});

test('the add form tests credentials before saving, and discovery finds the BMC', async ({ page }) => {
  await page.goto(app!.url);
  await page.getByRole('button', { name: 'Add server' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByRole('textbox', { name: 'BMC address' }).fill('127.0.0.1');
  await dialog.getByRole('textbox', { name: 'BMC port' }).fill(String(sim!.port));
  await dialog.getByRole('textbox', { name: 'BMC user' }).fill('root');
  await dialog.getByLabel('BMC password').fill('password');
  await dialog.getByRole('button', { name: 'Test connection' }).click();
  await expect(dialog).toContainText('GUID 89abcdef-0123-4567-89ab-cdef01234567', { timeout: 15_000 });
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Discover BMCs' }).click();
  const discover = page.getByRole('dialog', { name: 'Discover BMCs' });
  await discover.getByRole('textbox', { name: 'Subnet to scan' }).fill('127.0.0.0/30');
  await discover.getByRole('textbox', { name: 'UDP port' }).fill(String(sim!.port));
  await discover.getByRole('button', { name: 'Scan' }).click();
  const list = discover.getByRole('list', { name: 'Discovered BMCs' });
  await expect(list).toContainText('127.0.0.1', { timeout: 15_000 });
  await expect(list).toContainText('IPMI 2.0');
  await keepScreenshot(page, '08-bmc-discovery');
  await list.getByRole('button', { name: 'Add 127.0.0.1' }).click();
  await expect(page.getByRole('dialog', { name: 'Add a server' }).getByRole('textbox', { name: 'BMC address' })).toHaveValue('127.0.0.1');
});

test('an SSH public key file is added from the file picker, and a file that is no public key is refused', async ({ page }) => {
  await page.goto(app!.url);
  await page.getByRole('button', { name: 'Add server' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByLabel('Give the installed OS its identity (config drive)').check();
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2mS6a0k0y9gqv8hWcS0qz7bWQhVJ7t3ZxA9p3Zp1e tech@laptop';
  const picker = dialog.getByLabel('SSH public key file');
  await picker.setInputFiles({ name: 'id_ed25519.pub', mimeType: 'text/plain', buffer: Buffer.from(`${key}\n`) });
  await expect(dialog.getByRole('textbox', { name: 'SSH public keys (one per line)' })).toHaveValue(key);
  await picker.setInputFiles({ name: 'id_ed25519', mimeType: 'application/octet-stream', buffer: Buffer.alloc(20_000, 0x41) });
  await expect(dialog).toContainText('id_ed25519 is 20000 bytes: an SSH public key file (like id_ed25519.pub) is a few hundred');
  await expect(dialog.getByRole('textbox', { name: 'SSH public keys (one per line)' })).toHaveValue(key);
});
