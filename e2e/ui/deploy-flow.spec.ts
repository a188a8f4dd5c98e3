import { chromium, expect, test, type Browser } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { buildTestImage } from '../deploy/test-image';
import { ensureKernel, SERVER_SIZED_DISK_MIB, startLab, type Kernel, type Lab } from '../lab';
import { isRoot } from '../support/netns';
import type { HeadlessApp } from './headless-app';
import { inNamespace, startHeadlessAppInLab } from './lab-app';
import { keepScreenshot } from './screenshots';
import { deployInStepperOrder, deployThroughWizard, enrol, step } from './wizard-flow';

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
    lab = await startLab({ servers: 2, diskMiB: SERVER_SIZED_DISK_MIB });
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-flow-'));
    app = await startHeadlessAppInLab(lab, path.join(dir, 'data'));
    browser = await chromium.launch({ executablePath: await inNamespace(lab.prov, dir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
  });

  test.afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('from an empty app to a deployed server, with the serial console', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(app.url);
    await deployThroughWizard(page, lab, image, 'flow');
  });

  test('in the stepper’s own order: the services start for the capture, then the image and the deploy', async () => {
    await app.stop(); // its boot services hold the provisioning ports
    const stepper = await startHeadlessAppInLab(lab, path.join(dir, 'data-stepper'));
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(stepper.url);
      // The second server: the first holds the OS the test before installed, which a deploy refuses to overwrite unasked.
      await deployInStepperOrder(page, lab, image, 'stepper', lab.servers[1]);
    } finally {
      await stepper.stop();
    }
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
