import { chromium, expect, test, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { isRoot, Netns } from '../support/netns';
import { startHeadlessApp, type HeadlessApp } from './headless-app';
import { inNamespace, startHeadlessAppInNamespace } from './lab-app';
import { keepScreenshot } from './screenshots';
import { enrol, step } from './wizard-flow';

/** A BMC nobody answers for: these steps never talk to it. */
const SERVER = { bmc: { address: '192.0.2.10', port: 623, user: 'root', password: 'password' } };

/** Holds the app's answers to one method until the returned function is called; everything else passes as it comes. */
async function holdAnswers(page: Page, method: string): Promise<() => void> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.routeWebSocket(/./, (socket) => {
    const server = socket.connectToServer();
    const held = new Set<number>();
    socket.onMessage((message) => {
      const request = JSON.parse(String(message)) as { id: number; method: string };
      if (request.method === method) held.add(request.id);
      server.send(message);
    });
    server.onMessage((message) => {
      const answer = JSON.parse(String(message)) as { id?: number };
      if (answer.id !== undefined && held.has(answer.id)) void released.then(() => socket.send(message));
      else socket.send(message);
    });
  });
  return release;
}

let dataDir: string;
let app: HeadlessApp | undefined;

test.beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ui-steps-'));
});
test.afterEach(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('a step that needs another says what it needs and links to that step', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  await page.goto(app.url);
  const title = page.getByRole('heading', { level: 2 });

  await step(page, 'MAC');
  await page.getByRole('button', { name: 'BMC step' }).click();
  await expect(title).toHaveText('Servers and their BMCs');
  await enrol(page, 'rack-u1', SERVER);

  await step(page, 'MAC');
  await expect(page.getByRole('alert', { name: 'Capture needs the services' })).toContainText('Capturing a MAC needs the network boot services');
  await expect(page.getByRole('button', { name: 'Capture MAC of rack-u1' })).toBeDisabled();
  await keepScreenshot(page, 'steps-01-mac-needs-services');
  await page.getByRole('button', { name: 'test the BMC connection first' }).click();
  await expect(title).toHaveText('Servers and their BMCs');

  await step(page, 'Boot');
  const needs = page.getByRole('alert', { name: 'Before deploying' });
  await expect(needs).toContainText('the OS image: add it in the Image step');
  // The built-in ramdisk (dist/ramdisk, made by npm run build) needs no choice.
  await expect(needs).not.toContainText('the deploy ramdisk');
  await expect(needs).toContainText('the network boot services: start them above');
  await page.getByRole('checkbox', { name: 'Select rack-u1' }).check();
  await expect(page.getByRole('button', { name: /Deploy selected/ })).toBeDisabled();
  await keepScreenshot(page, 'steps-02-boot-needs');
  await needs.getByRole('button', { name: 'Image step' }).last().click();
  await expect(title).toHaveText('Choose the OS image');

  await expect(page.getByLabel('Built-in ramdisk')).toContainText('Built-in: Debian 12');
  await page.getByRole('button', { name: /^Advanced/ }).click();
  await page.getByRole('radio', { name: 'Build from kernel modules + busybox' }).check();
  await page.getByRole('textbox', { name: 'Kernel (vmlinuz)' }).fill('/srv/deploy/vmlinuz');
  await page.getByRole('textbox', { name: 'Kernel modules (folder or .deb)' }).fill('/srv/deploy/linux-image');
  await page.getByRole('button', { name: 'Save deploy settings' }).click();
  await expect(page.getByText('Deploy settings saved.')).toBeVisible();
  await step(page, 'Boot');
  await expect(needs).not.toContainText('the deploy ramdisk');
  await expect(needs).toContainText('the OS image');
});

test('an empty app shows its steps once the setup check above them has answered, so nothing moves under a click', async ({ page }) => {
  app = await startHeadlessApp(dataDir);
  // The setup check's answer is held back: a laptop slow to look at its NICs and services.
  const releaseCheck = await holdAnswers(page, 'setup.check');
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'What a deploy needs' })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Loading' })).toBeVisible();
  const addServer = page.getByRole('button', { name: 'Add server' });
  await expect(addServer).toBeHidden();

  releaseCheck();
  await expect(page.getByRole('list', { name: 'Setup checks' }).getByRole('listitem')).toHaveCount(5);
  await expect(addServer).toBeVisible();
  const shownAt = await addServer.boundingBox();
  await expect(page.getByRole('status', { name: 'Loading' })).toBeHidden();
  expect(await addServer.boundingBox()).toEqual(shownAt);
  await addServer.click();
  await expect(page.getByRole('dialog', { name: 'Add a server' })).toBeVisible();
});

test.describe('on a laptop whose NICs have no address yet', () => {
  test.skip(!isRoot(), 'needs root for a network namespace');

  test('the boot services say they need the provisioning address and link to the Network step', async () => {
    const namespace = await Netns.create('rbsteps');
    const browser = await chromium.launch({ executablePath: await inNamespace(namespace, dataDir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
    try {
      app = await startHeadlessAppInNamespace(namespace, path.join(dataDir, 'data'));
      const page = await browser.newPage();
      await page.goto(app.url);
      await step(page, 'MAC');
      const alert = page.getByRole('alert').filter({ hasText: 'provisioning address' });
      await expect(alert).toContainText('The services listen on the laptop’s provisioning address, and no interface has an IPv4 address yet');
      await expect(page.getByRole('button', { name: 'Start services' })).toBeDisabled();
      await keepScreenshot(page, 'steps-03-services-need-address');
      await alert.getByRole('button', { name: 'Network step' }).click();
      await expect(page.getByRole('heading', { level: 2 })).toHaveText('Set up the laptop’s provisioning network');
    } finally {
      await browser.close();
      await app?.stop();
      app = undefined;
      await namespace.destroy();
    }
  });
});

test.describe('on a laptop slow to list its NICs', () => {
  test.skip(!isRoot(), 'needs root for a network namespace');

  test('an address pool typed while the interfaces are still being read stays as typed', async () => {
    const namespace = await Netns.create('rbpool');
    await namespace.ip('link', 'add', 'prov0', 'type', 'veth', 'peer', 'name', 'switch0');
    await namespace.ip('address', 'add', '10.66.0.1/24', 'dev', 'prov0');
    await namespace.ip('link', 'set', 'prov0', 'up');
    await namespace.ip('link', 'set', 'switch0', 'up');
    const browser = await chromium.launch({ executablePath: await inNamespace(namespace, dataDir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
    try {
      app = await startHeadlessAppInNamespace(namespace, path.join(dataDir, 'data'));
      const page = await browser.newPage();
      // The answer to network.interfaces is held back until the pool is typed: a laptop slow to list its NICs.
      const releaseInterfaces = await holdAnswers(page, 'network.interfaces');
      await page.goto(app.url);
      await step(page, 'Boot');
      const pool = page.getByRole('textbox', { name: 'Address pool' });
      await pool.fill('10.66.0.150-10.66.0.160');
      releaseInterfaces();
      await expect(page.getByRole('button', { name: 'Start services' })).toBeEnabled();
      await expect(pool).toHaveValue('10.66.0.150-10.66.0.160');
    } finally {
      await browser.close();
      await app?.stop();
      app = undefined;
      await namespace.destroy();
    }
  });
});
