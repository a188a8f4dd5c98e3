import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { DEPLOYED_MARKER, buildTestImage } from '../deploy/test-image';
import { ensureKernel, startLab, type Kernel, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import type { HeadlessApp } from './headless-app';
import { chromiumInNamespace, startHeadlessAppInLab } from './lab-app';
import { keepScreenshot } from './screenshots';

const skip = !isRoot();
if (skip) console.log('skipped: the deploy flow needs root (the virtual rack uses network namespaces, ipmi_sim and QEMU)');

test.describe('a first-time technician deploys a lab server through the wizard', () => {
  test.skip(skip, 'needs root for the virtual rack');
  test.setTimeout(900_000);

  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dir: string;
  let app: HeadlessApp;
  let browser: Browser;

  test.beforeAll(async () => {
    test.setTimeout(600_000);
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 1 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-flow-'));
    app = await startHeadlessAppInLab(lab, path.join(dir, 'data'));
    browser = await chromium.launch({ executablePath: await chromiumInNamespace(lab, dir), args: CHROMIUM_ARGS });
  });

  test.afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function step(page: Page, name: string): Promise<void> {
    await page.getByRole('tab', { name }).click();
  }

  async function enrol(page: Page, name: string, server: LabServer): Promise<void> {
    await page.getByRole('button', { name: 'Add server' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a server' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
    await dialog.getByRole('textbox', { name: 'BMC address' }).fill(server.bmc.address);
    await dialog.getByRole('textbox', { name: 'BMC user' }).fill(server.bmc.user);
    await dialog.getByLabel('BMC password').fill(server.bmc.password);
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await expect(dialog).toBeHidden();
  }

  test('from an empty app to a deployed server, with the serial console', async () => {
    const server = lab.servers[0]!;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(app.url);

    // BMC: enrol the server by its BMC and check the connection.
    await enrol(page, 'rack-u1', server);
    await page.getByRole('button', { name: 'Test connection to rack-u1' }).click();
    await expect(page.getByRole('row', { name: /rack-u1/ })).toContainText(`GUID ${server.uuid}`, { timeout: 30_000 });
    await keepScreenshot(page, 'flow-01-bmc');

    // Network: the laptop's wired NIC is already on the provisioning subnet in the lab; preview shows the plan.
    await step(page, 'Network');
    await expect(page.getByRole('table', { name: 'Network interfaces' })).toContainText(lab.provInterface);
    await keepScreenshot(page, 'flow-02-network');

    // Image: the OS image and the deploy ramdisk.
    await step(page, 'Image');
    await page.getByRole('textbox', { name: 'Image file path' }).fill(image);
    await page.getByRole('button', { name: 'Add image' }).click();
    await expect(page.getByRole('table', { name: 'Images' })).toContainText(path.basename(image));
    await page.getByRole('textbox', { name: 'Kernel (vmlinuz)' }).fill(kernel.vmlinuzPath);
    await page.getByRole('textbox', { name: 'Kernel modules (folder or .deb)' }).fill(path.resolve(kernel.modulesDir, '../../..'));
    await page.getByRole('textbox', { name: 'Target disk' }).fill('/dev/vda');
    await page.getByRole('button', { name: 'Save deploy settings' }).click();
    await expect(page.getByText('Deploy settings saved.')).toBeVisible();
    await keepScreenshot(page, 'flow-03-image');

    // MAC: start the boot services on the provisioning NIC and capture the server's PXE MAC.
    await step(page, 'MAC');
    await page.getByRole('textbox', { name: 'Address pool' }).fill(`${lab.dhcpPool.start}-${lab.dhcpPool.end}`);
    await page.getByRole('button', { name: 'Start services' }).click();
    await expect(page.getByText(/Network boot services are running on/)).toBeVisible({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Capture MAC of rack-u1' }).click();
    await expect(page.getByRole('status', { name: 'Capturing rack-u1' })).toBeVisible();
    await keepScreenshot(page, 'flow-04-capturing');
    const macs = page.getByRole('table', { name: 'MAC addresses' });
    await expect(macs).toContainText(server.mac, { timeout: 120_000 });
    await expect(macs).toContainText('matched System GUID');
    await keepScreenshot(page, 'flow-05-captured');

    // Boot: deploy and watch it live.
    await step(page, 'Boot');
    await page.getByRole('checkbox', { name: 'Select rack-u1' }).check();
    await page.getByRole('button', { name: /Deploy selected/ }).click();
    const rack = page.getByRole('table', { name: 'Rack' });
    await expect(rack).toContainText('writing-image', { timeout: 300_000 });
    await keepScreenshot(page, 'flow-06-writing');
    await expect(rack).toContainText('deployed · deployed', { timeout: 400_000 });
    await page.getByRole('button', { name: 'Open console' }).click();
    await page.getByRole('button', { name: 'Power cycle' }).click();
    await expect(page.getByRole('region', { name: 'Serial console of rack-u1' })).toContainText(DEPLOYED_MARKER, { timeout: 180_000 });
    await keepScreenshot(page, 'flow-07-deployed-console');
    await expect(page.getByRole('log', { name: 'Live log' })).toContainText('Image verified on disk');

    const size = (await stat(image)).size;
    const hash = async (file: string, bytes: number): Promise<string> => {
      const digest = createHash('sha256');
      for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) digest.update(chunk as Buffer);
      return digest.digest('hex');
    };
    expect(await hash(server.diskPath, size)).toBe(await hash(image, size));
  });

  test('a capture that sees no PXE request says so, with what to check', async () => {
    const server = lab.servers[0]!;
    await app.stop(); // its boot services hold the provisioning ports
    const impatient = await startHeadlessAppInLab(lab, path.join(dir, 'data-timeout'), { RACKBOOT_TIMEOUT_SCALE: '0.2' });
    await lab.rack.ip('link', 'set', server.tap, 'down');
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(impatient.url);
      await enrol(page, 'unplugged', server);
      await step(page, 'MAC');
      await page.getByRole('checkbox', { name: /Fast iPXE start/ }).uncheck();
      await page.getByRole('button', { name: 'Start services' }).click();
      await expect(page.getByText(/Network boot services are running on/)).toBeVisible({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Capture MAC of unplugged' }).click();
      await expect(page.getByRole('alert').filter({ hasText: 'unplugged:' })).toContainText(
        'No PXE request within 18 s of power-on: is PXE enabled on NIC1 and the cable in the provisioning switch?',
        { timeout: 60_000 },
      );
      await keepScreenshot(page, 'flow-08-capture-timeout');
    } finally {
      await lab.rack.ip('link', 'set', server.tap, 'up');
      await impatient.stop();
    }
  });
});
