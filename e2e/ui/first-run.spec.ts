import { chromium, expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config';
import type { UploadStatus } from '../../shared/uploads';
import { buildTestImage, DEPLOYED_MARKER, sha256OfPrefix } from '../deploy/test-image';
import { ensureKernel, SERVER_SIZED_DISK_MIB, startLab, type Kernel, type Lab } from '../lab';
import { isRoot } from '../support/netns';
import { callApi, watchHeadlessApp, type HeadlessApp } from './headless-app';
import { inNamespace } from './lab-app';
import { keepScreenshot } from './screenshots';
import { startServices, step } from './wizard-flow';

/**
 * A technician's first run in the browser (headless mode): the setup check on the empty app, images added by upload
 * (never by typing a laptop path), uploads that survive a cut connection, and a corrupt one turned away.
 */

/** The app as README's `npm run serve` starts it (build, then the headless server), on a free port. */
function serve(dataDir: string, inNetns?: string): Promise<HeadlessApp> {
  const args = ['run', 'serve', '--', '--port', '0', '--data-dir', dataDir];
  const child = inNetns
    ? spawn('ip', ['netns', 'exec', inNetns, 'npm', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn('npm', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const app = watchHeadlessApp(child, 300_000);
  // npm runs the server as its child: stop the whole group, or the server outlives the test.
  return app.then((started) => ({
    url: started.url,
    stop: async () => {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
      await started.stop();
    },
  }));
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function checkLine(page: Page, title: string): Locator {
  return page.getByRole('list', { name: 'Setup checks' }).getByRole('listitem').filter({ hasText: title });
}

/** What the core holds under its uploads folder: files of unfinished and finished uploads. */
async function uploadsFolder(dataDir: string): Promise<string[]> {
  return readdir(path.join(dataDir, 'uploads')).catch(() => []);
}

test.describe('first run in the browser', () => {
  let dir: string;
  let app: HeadlessApp;
  let image: Buffer;
  let imagePath: string;

  test.beforeAll(async () => {
    test.setTimeout(400_000);
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-first-run-'));
    image = randomBytes(20 * 1024 * 1024);
    imagePath = path.join(dir, 'laptop', 'disk.raw');
    await mkdir(path.dirname(imagePath));
    await writeFile(imagePath, image);
    app = await serve(path.join(dir, 'data'));
  });

  test.afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the empty app opens with what a deploy needs, and its image button fixes the image', async ({ page }) => {
    await page.goto(app.url);
    const checks = page.getByRole('list', { name: 'Setup checks' });
    await expect(checks).toBeVisible();
    await expect(checkLine(page, 'An OS image')).toContainText('No image yet');
    await expect(checkLine(page, 'A server whose BMC answers')).toContainText('No server yet: enrol one');
    await expect(checkLine(page, 'The network boot services')).toContainText('Not running');
    await keepScreenshot(page, 'first-run-01-empty');

    await (checkLine(page, 'An OS image')).getByLabel('Image file to upload').setInputFiles(imagePath);
    await expect(checkLine(page, 'An OS image')).toHaveAttribute('aria-label', 'An OS image: ready', { timeout: 60_000 });
    await expect(checkLine(page, 'An OS image')).toContainText('disk.raw');

    await page.getByRole('button', { name: 'Hide' }).click();
    await expect(checks).toBeHidden();
    await page.getByRole('button', { name: 'Check setup' }).click();
    await expect(checks).toBeVisible();
    await (checkLine(page, 'The network boot services')).getByRole('button', { name: 'Start boot services' }).click();
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('Boot and watch the deploy');
    await callApi(app.url, 'images.remove', { id: (await callApi(app.url, 'images.list', {}))[0]!.id });
  });

  test('an upload cut off halfway continues from what the server holds', async ({ page }) => {
    const { mtimeMs } = await stat(imagePath);
    const lastModified = Math.floor(mtimeMs);
    const base = new URL(app.url);
    const token = base.searchParams.get('token')!;
    // A first try from this laptop that lost its cable halfway through the file.
    const begin = await fetch(`${base.origin}/upload?token=${token}`, {
      method: 'POST',
      body: JSON.stringify({ name: 'disk.raw', size: image.length, lastModified, sha256: sha256(image) }),
    });
    const started = (await begin.json()) as UploadStatus;
    await new Promise<void>((resolve) => {
      const request = http.request(`${base.origin}/upload/${started.id}?token=${token}`, {
        method: 'PUT',
        headers: { 'Content-Range': `bytes 0-${image.length - 1}/${image.length}`, 'Content-Length': image.length },
      });
      request.on('error', () => resolve());
      request.write(image.subarray(0, image.length / 2), () => setTimeout(() => request.destroy(), 500));
    });
    const held = (await (await fetch(`${base.origin}/upload/${started.id}?token=${token}`)).json()) as UploadStatus;
    expect(held.received).toBeGreaterThan(0);

    // And this time the connection breaks once more, between two pieces.
    let cut = false;
    await page.route('**/upload/*', async (route) => {
      if (!cut && route.request().method() === 'PUT') {
        cut = true;
        await route.abort('connectionreset');
      } else await route.continue();
    });

    await page.goto(app.url);
    await step(page, 'Image');
    await page.getByRole('textbox', { name: 'Expected SHA-256 (optional)' }).fill(sha256(image));
    await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(imagePath);
    await expect(page.getByRole('main').getByRole('status', { name: 'Image progress' })).toContainText('the server already had');
    const row = page.getByRole('table', { name: 'Images' }).getByRole('row', { name: /disk\.raw/ });
    await expect(row).toContainText(sha256(image).slice(0, 16), { timeout: 60_000 });
    expect(cut).toBe(true);
    await step(page, 'Boot');
    // The core went on writing what had reached it before it saw the cut, so it may hold more than it said then.
    const log = page.getByRole('log', { name: 'Live log' });
    await expect(log).toContainText(`of ${image.length} bytes`);
    const resumedAt = Number(/Upload of disk\.raw resumed at (\d+) of/.exec((await log.textContent()) ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(held.received);
    expect(resumedAt).toBeLessThan(image.length);
    await keepScreenshot(page, 'first-run-02-resumed');
  });

  test('a corrupt upload (checksum given and wrong) is refused and removed', async ({ page }) => {
    const corruptPath = path.join(dir, 'laptop', 'corrupt.raw');
    const corrupt = Buffer.from(image);
    corrupt.writeUInt8(corrupt.readUInt8(1234) ^ 0x40, 1234);
    await writeFile(corruptPath, corrupt);
    const before = await uploadsFolder(path.join(dir, 'data'));

    await page.goto(app.url);
    await step(page, 'Image');
    await page.getByRole('textbox', { name: 'Expected SHA-256 (optional)' }).fill(sha256(image));
    await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(corruptPath);
    await expect(page.getByRole('main').getByRole('alert')).toContainText(`corrupt.raw arrived with SHA-256 ${sha256(corrupt)}, not the ${sha256(image)} you gave`, {
      timeout: 60_000,
    });
    await expect(page.getByRole('main').getByRole('alert')).toContainText('Rackboot removed it');
    await expect(page.getByRole('table', { name: 'Images' }).getByText('corrupt.raw')).toHaveCount(0);
    expect((await callApi(app.url, 'images.list', {})).map((entry) => entry.name)).not.toContain('corrupt.raw');
    expect(await uploadsFolder(path.join(dir, 'data'))).toEqual(before);
    await keepScreenshot(page, 'first-run-03-corrupt');
  });

  test('an image dropped anywhere on the window goes to the library', async ({ page }) => {
    await page.goto(app.url);
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('Servers and their BMCs');
    // Chromium's own drag and drop needs a real pointer; the page sees the same events with a file in them.
    const transfer = await page.evaluateHandle(async () => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(3 * 1024 * 1024)], 'dropped.raw'));
      return data;
    });
    await page.dispatchEvent('body', 'dragenter', { dataTransfer: transfer });
    await expect(page.getByText('Drop the image to add it to the library')).toBeVisible();
    await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('Choose the OS image');
    await expect(page.getByRole('table', { name: 'Images' })).toContainText('dropped.raw', { timeout: 60_000 });
  });
});

const labSkip = !isRoot();
if (labSkip) console.log('skipped: the first-run deploy needs root (the virtual rack uses network namespaces, ipmi_sim and QEMU)');

test.describe('a first-time technician, from the setup check to a deployed server', () => {
  test.skip(labSkip, 'needs root for the virtual rack');
  test.setTimeout(1_200_000);

  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dir: string;
  let app: HeadlessApp;
  let browser: Browser;

  test.beforeAll(async () => {
    test.setTimeout(900_000);
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 1, diskMiB: SERVER_SIZED_DISK_MIB });
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-first-deploy-'));
    app = await serve(path.join(dir, 'data'), lab.prov.name);
    browser = await chromium.launch({ executablePath: await inNamespace(lab.prov, dir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
  });

  test.afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('enrols, uploads the image, starts the services and deploys without opening Advanced', async () => {
    const server = lab.servers[0]!;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(app.url);

    // The laptop of the rack has its wired port up with an address: those two are met, the rest is missing.
    await expect(checkLine(page, 'A wired network port with link')).toHaveAttribute('aria-label', /ready$/, { timeout: 60_000 });
    await expect(checkLine(page, 'A wired network port with link')).toContainText(lab.provInterface);
    await expect(checkLine(page, 'An address for the servers to reach this laptop')).toContainText(lab.provAddress);
    await expect(checkLine(page, 'A server whose BMC answers')).toHaveAttribute('aria-label', /missing$/);

    await (checkLine(page, 'A server whose BMC answers')).getByRole('button', { name: 'Enrol a server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a server' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('rack-u1');
    await dialog.getByRole('textbox', { name: 'BMC address' }).fill(server.bmc.address);
    await dialog.getByRole('textbox', { name: 'BMC user' }).fill(server.bmc.user);
    await dialog.getByLabel('BMC password').fill(server.bmc.password);
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await expect(dialog).toBeHidden();
    await expect(checkLine(page, 'A server whose BMC answers')).toContainText('rack-u1’s BMC answers', { timeout: 60_000 });

    await (checkLine(page, 'An OS image')).getByLabel('Image file to upload').setInputFiles(image);
    await expect(checkLine(page, 'An OS image')).toHaveAttribute('aria-label', /ready$/, { timeout: 300_000 });
    await keepScreenshot(page, 'first-run-04-lab-setup');

    await (checkLine(page, 'The network boot services')).getByRole('button', { name: 'Start boot services' }).click();
    await startServices(page, lab.dhcpPool);
    await expect(page.getByRole('heading', { name: 'Ready to deploy' })).toBeVisible({ timeout: 30_000 });
    await keepScreenshot(page, 'first-run-05-ready');

    await step(page, 'MAC');
    await page.getByRole('button', { name: 'Capture MAC of rack-u1' }).click();
    await expect(page.getByRole('table', { name: 'MAC addresses' })).toContainText(server.mac, { timeout: 120_000 });

    await step(page, 'Boot');
    await page.getByRole('checkbox', { name: 'Select rack-u1' }).check();
    await page.getByRole('button', { name: /Deploy selected/ }).click();
    const rack = page.getByRole('table', { name: 'Rack' });
    await expect(rack).toContainText('deployed · deployed', { timeout: 700_000 });
    await page.getByRole('button', { name: 'Open console' }).click();
    await page.getByRole('button', { name: 'Power cycle' }).click();
    await expect(page.getByRole('region', { name: 'Serial console of rack-u1' })).toContainText(DEPLOYED_MARKER, { timeout: 180_000 });
    await keepScreenshot(page, 'first-run-06-deployed');

    const size = (await stat(image)).size;
    expect(await sha256OfPrefix(server.diskPath, size)).toBe(await sha256OfPrefix(image, size));
  });
});
