import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { missingTools, randomPortBase, startIpmiSim, type SimInstance } from '../ipmi/ipmi-sim';
import { startHeadlessApp, type HeadlessApp } from './headless-app';
import { step } from './wizard-flow';
import { keepScreenshot } from './screenshots';

const missing = missingTools();
if (missing) console.log(`skipped: console tests need ${missing}`);

let dataDir: string;
let app: HeadlessApp | undefined;
let sim: SimInstance | undefined;
let serialServer: Server | undefined;
let serialLine: Promise<Socket>;

test.beforeEach(async () => {
  test.skip(missing !== null, `needs ${missing}`);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ui-console-'));
  const port = randomPortBase();
  // The test plays the server's serial port; ipmi_sim relays it over Serial-over-LAN.
  serialServer = createServer();
  serialLine = new Promise((resolve) => serialServer!.once('connection', resolve));
  await new Promise<void>((resolve) => serialServer!.listen(port + 1, '127.0.0.1', resolve));
  sim = await startIpmiSim({ address: '127.0.0.1', port, solPort: port + 1, chassisControl: true });
  app = await startHeadlessApp(dataDir);
});
test.afterEach(async () => {
  await app?.stop();
  await sim?.stop();
  (await Promise.race([serialLine, Promise.resolve(null)]))?.destroy();
  await new Promise((resolve) => serialServer?.close(resolve));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the console view shows the server’s serial output and sends keystrokes to it', async ({ page }) => {
  await page.goto(app!.url);
  await page.getByRole('button', { name: 'Add server' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('sol-1');
  await dialog.getByRole('textbox', { name: 'BMC address' }).fill('127.0.0.1');
  await dialog.getByRole('textbox', { name: 'BMC port' }).fill(String(sim!.port));
  await dialog.getByRole('textbox', { name: 'BMC user' }).fill('root');
  await dialog.getByLabel('BMC password').fill('password');
  await dialog.getByRole('button', { name: 'Add server' }).click();

  await step(page, 'Boot');
  await page.getByRole('button', { name: 'Open console' }).click();
  const terminal = page.getByRole('region', { name: 'Serial console of sol-1' });
  await expect(terminal).toBeVisible();
  const line = await serialLine;
  let typed = '';
  line.on('data', (chunk: Buffer) => (typed += chunk.toString('latin1')));
  line.write('Debian GNU/Linux 12 rackboot ttyS0\r\n\r\nrackboot login: ');
  await expect(terminal).toContainText('rackboot login:', { timeout: 15_000 });

  await terminal.click();
  await page.keyboard.type('root');
  await page.keyboard.press('Enter');
  await expect.poll(() => typed, { timeout: 15_000 }).toBe('root\r');
  await keepScreenshot(page, '09-serial-console');
});
