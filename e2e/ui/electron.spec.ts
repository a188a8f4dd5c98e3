import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { buildTestImage } from '../deploy/test-image';
import { ensureKernel, SERVER_SIZED_DISK_MIB, startLab } from '../lab';
import { isRoot } from '../support/netns';
import { inNamespace } from './lab-app';
import { keepScreenshot } from './screenshots';
import { deployThroughWizard } from './wizard-flow';

const require = createRequire(import.meta.url);

/** The installed Electron binary, or why there is none (its download host may be unreachable). */
function electronBinary(): { path: string } | { missing: string } {
  const dir = path.dirname(require.resolve('electron/package.json'));
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { missing: `${pathFile} absent: the Electron download did not happen` };
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(binary) ? { path: binary } : { missing: `${binary} not found` };
}

const binary = electronBinary();
if ('missing' in binary) console.log(`skipped: no Electron binary (${binary.missing})`);

test.describe('desktop shell', () => {
  test.skip('missing' in binary, `no Electron binary (${'missing' in binary ? binary.missing : ''})`);

  test('servers added in the window survive a restart of the app', async () => {
    if (!('path' in binary)) return;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-electron-'));
    const launch = () =>
      electron.launch({
        executablePath: binary.path,
        args: ['.', '--no-sandbox'],
        env: { ...process.env, RACKBOOT_DATA_DIR: dataDir },
      });
    try {
      let app = await launch();
      let window = await app.firstWindow();
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      await window.getByRole('button', { name: 'Add server' }).first().click();
      const dialog = window.getByRole('dialog', { name: 'Add a server' });
      await dialog.getByRole('textbox', { name: 'Name' }).fill('desk-1');
      await dialog.getByRole('textbox', { name: 'BMC address' }).fill('10.1.91.4');
      await dialog.getByRole('textbox', { name: 'BMC user' }).fill('root');
      await dialog.getByLabel('BMC password').fill('password');
      await dialog.getByRole('button', { name: 'Add server' }).click();
      await expect(window.getByRole('table', { name: 'Servers' })).toContainText('desk-1');
      await keepScreenshot(window, 'electron-01-bmc-step');
      await app.close();

      app = await launch();
      window = await app.firstWindow();
      await expect(window.getByRole('table', { name: 'Servers' })).toContainText('desk-1');
      await app.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

test.describe('desktop shell in the virtual rack', () => {
  test.skip('missing' in binary || !isRoot(), 'needs an Electron binary and root (the virtual rack)');
  test.setTimeout(900_000);

  test('a first-time technician deploys a lab server in the desktop window', async () => {
    if (!('path' in binary)) return;
    const kernel = await ensureKernel();
    const image = await buildTestImage(kernel);
    const lab = await startLab({ servers: 1, diskMiB: SERVER_SIZED_DISK_MIB });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-electron-flow-'));
    try {
      const app = await electron.launch({
        executablePath: await inNamespace(lab.prov, dir, binary.path),
        args: ['.', '--no-sandbox'],
        env: { ...process.env, RACKBOOT_DATA_DIR: path.join(dir, 'data') },
      });
      try {
        await deployThroughWizard(await app.firstWindow(), lab, image, 'electron-flow');
      } finally {
        await app.close();
      }
    } finally {
      await lab.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
