// A lab server whose BMC answers only Redfish (sushy-tools on its BMC address, its external notifier driving the
// server's QEMU through notifier-hook.ts and chassis-control.sh), deployed by Rackboot over Redfish; then a rack of one
// IPMI server and one Redfish server found by the wizard's subnet discovery and deployed in parallel through the wizard
// in Chromium. Needs root (the lab) and ../shared/peers/sushy-tools.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect as pwExpect, type Browser, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { startServices, step } from '../ui/wizard-flow';
import { DEPLOY_PHASES } from '../../shared/deploy';
import { DeployStore } from '../../electron/deploy/deploy-store';
import { networkArgs, ramdiskArgs, runDeployCli } from '../deploy/deploy-cli';
import { DEPLOYED_MARKER, buildTestImage, sha256OfPrefix } from '../deploy/test-image';
import { ensureKernel, SERVER_SIZED_DISK_MIB, startLab, waitForSerial, type Kernel, type Lab, type LabServer } from '../lab';
import { isRoot } from '../support/netns';
import type { HeadlessApp } from '../ui/headless-app';
import { inNamespace, startHeadlessAppInLab } from '../ui/lab-app';
import { keepScreenshot } from '../ui/screenshots';
import { startRedfishBmc, type RedfishBmc } from './redfish-bmc';
import { sushyMissing } from './sushy';

const missing = isRoot() ? sushyMissing() : 'they need root (network namespaces, QEMU)';
if (missing) console.log(`Redfish deploy lab tests skipped: ${missing}.`);

async function waitForEvent(server: LabServer, pattern: RegExp, from: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await readFile(server.eventsLogPath, 'utf8').catch(() => '')).slice(from);
    if (pattern.test(events)) return;
    if (Date.now() > deadline) throw new Error(`${server.name}: no event matching ${pattern} within ${timeoutMs} ms; events:\n${events}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const eventsSize = async (server: LabServer): Promise<number> => (await readFile(server.eventsLogPath, 'utf8').catch(() => '')).length;

describe.skipIf(missing !== null)('a Redfish-only lab server deployed over Redfish', () => {
  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dataDir: string;
  let redfish: RedfishBmc;
  let server: LabServer;

  const redfishtool = (...args: string[]): Promise<string> =>
    lab.prov.exec('redfishtool', ['-r', `${server.bmc.address}:443`, '-u', server.bmc.user, '-p', server.bmc.password, '-S', 'Always', ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 1, diskMiB: SERVER_SIZED_DISK_MIB, withoutIpmiSim: [0] });
    server = lab.servers[0]!;
    redfish = await startRedfishBmc(lab, server);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-redfish-deploy-'));
  }, 300_000);

  afterAll(async () => {
    await redfish?.stop();
    await lab?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('boots the server from the network after a Pxe override and from disk after Hdd, when the emulator applies the reset', async () => {
    let from = await eventsSize(server);
    await redfishtool('Systems', 'setBootOverride', 'Continuous', 'Pxe');
    await redfishtool('Systems', 'reset', 'On');
    await waitForEvent(server, /power on: boot device pxe/, from);
    // The NIC's iPXE ROM runs: the server network boots (no DHCP server answers yet).
    await waitForSerial(server, /iPXE/, { timeoutMs: 60_000 });
    // The emulator shows On once its apply time passed; the hook powered QEMU at that time.
    expect(JSON.parse(await redfishtool('Systems', '-F', 'get')) as { PowerState: string }).toMatchObject({ PowerState: 'On' });

    from = await eventsSize(server);
    await redfishtool('Systems', 'setBootOverride', 'Continuous', 'Hdd');
    await redfishtool('Systems', 'reset', 'ForceRestart');
    await waitForEvent(server, /power off[\s\S]*power on: boot device default/, from);

    from = await eventsSize(server);
    await redfishtool('Systems', 'reset', 'ForceOff');
    await waitForEvent(server, /power off/, from);
  }, 120_000);

  it('deploys it with the CLI: redfish:// BMC, its certificate pinned, MAC captured, image written, booted from disk', async () => {
    const pin = redfish.sushy.pin;
    if (pin.kind !== 'pin') throw new Error('the emulator has no pinned certificate');
    const run = await runDeployCli(lab, [
      '--bmc', `redfish://${server.bmc.user}:${server.bmc.password}@${server.bmc.address}`,
      '--tls-pin', `${server.bmc.address}=${pin.sha256}`,
      '--image', image,
      ...networkArgs(lab),
      ...ramdiskArgs(kernel),
      '--data-dir', dataDir,
    ]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    const final = run.records.at(-1)!;
    expect(final.status).toBe('deployed');
    expect(final.history.map((entry) => entry.phase)).toEqual([...DEPLOY_PHASES]);
    expect(run.output).toContain(`Captured MAC ${server.mac}`);
    expect(run.output).not.toContain(server.bmc.password);
    const size = (await stat(image)).size;
    expect(await sha256OfPrefix(server.diskPath, size)).toBe(await sha256OfPrefix(image, size));
    // Reachable: the installed OS came up from disk, seen on the server's own serial port (Redfish has no console).
    await waitForSerial(server, new RegExp(DEPLOYED_MARKER), { timeoutMs: 120_000 });
    expect(await readFile(server.eventsLogPath, 'utf8')).toMatch(/power on: boot device pxe[\s\S]*power on: boot device default/);
  }, 900_000);
});

describe.skipIf(missing !== null)('a rack of one IPMI server and one Redfish server, found by discovery and deployed in parallel through the wizard', () => {
  let lab: Lab;
  let kernel: Kernel;
  let image: string;
  let dir: string;
  let redfish: RedfishBmc;
  let app: HeadlessApp | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    kernel = await ensureKernel();
    image = await buildTestImage(kernel);
    lab = await startLab({ servers: 2, diskMiB: SERVER_SIZED_DISK_MIB, withoutIpmiSim: [1] });
    redfish = await startRedfishBmc(lab, lab.servers[1]!);
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-redfish-wizard-'));
    app = await startHeadlessAppInLab(lab, path.join(dir, 'data'));
    browser = await chromium.launch({ executablePath: await inNamespace(lab.prov, dir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(app.url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.stop();
    await redfish?.stop();
    await lab?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** BMC step → Discover BMCs over the BMCs' /28: both answer, each with its own protocol. */
  async function discover(): Promise<ReturnType<Page['getByRole']>> {
    await page.getByRole('button', { name: 'Discover BMCs' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover BMCs' });
    await dialog.getByRole('textbox', { name: 'Subnet to scan' }).fill('10.77.0.96/28');
    await dialog.getByRole('button', { name: 'Scan' }).click();
    const list = dialog.getByRole('list', { name: 'Discovered BMCs' });
    await pwExpect(list).toBeVisible({ timeout: 30_000 });
    return list;
  }

  async function fillCredentials(name: string, server: LabServer): Promise<ReturnType<Page['getByRole']>> {
    const dialog = page.getByRole('dialog', { name: 'Add a server' });
    await pwExpect(dialog.getByRole('textbox', { name: 'BMC address' })).toHaveValue(server.bmc.address);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
    await dialog.getByRole('textbox', { name: 'BMC user' }).fill(server.bmc.user);
    await dialog.getByLabel('BMC password').fill(server.bmc.password);
    return dialog;
  }

  it('discovery finds the IPMI and the Redfish BMC; both are enrolled from it, the Redfish one by its trusted certificate', async () => {
    const [ipmiServer, redfishServer] = lab.servers as [LabServer, LabServer];
    let list = await discover();
    await pwExpect(list.getByRole('listitem', { name: ipmiServer.bmc.address })).toContainText('IPMI 2.0');
    await pwExpect(list.getByRole('listitem', { name: ipmiServer.bmc.address })).not.toContainText('Redfish');
    await pwExpect(list.getByRole('listitem', { name: redfishServer.bmc.address })).toContainText(/Redfish 1\.\d+\.\d+ \(HTTPS 443\)/);
    await pwExpect(list.getByRole('listitem', { name: redfishServer.bmc.address })).not.toContainText('IPMI');
    await pwExpect(list.getByRole('listitem')).toHaveCount(2);
    await keepScreenshot(page, 'redfish-rack-01-discovery');

    await list.getByRole('button', { name: `Add ${ipmiServer.bmc.address}` }).click();
    let dialog = await fillCredentials('rack-u1', ipmiServer);
    await pwExpect(dialog.getByRole('combobox', { name: 'BMC protocol' })).toHaveText('IPMI');
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await pwExpect(dialog).toBeHidden();

    list = await discover();
    await list.getByRole('button', { name: `Add ${redfishServer.bmc.address}` }).click();
    dialog = await fillCredentials('rack-u2', redfishServer);
    await pwExpect(dialog.getByRole('combobox', { name: 'BMC protocol' })).toHaveText('Redfish');
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const pin = redfish.sushy.pin;
    if (pin.kind !== 'pin') throw new Error('the emulator has no pinned certificate');
    await pwExpect(dialog).toContainText(`SHA-256 ${pin.sha256}`, { timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Trust this certificate' }).click();
    await pwExpect(dialog).toContainText(`UUID ${redfishServer.uuid}`, { timeout: 30_000 });
    await pwExpect(dialog).toContainText('serial console: none (IPMI only)');
    await keepScreenshot(page, 'redfish-rack-02-trusted');
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await pwExpect(dialog).toBeHidden();

    await page.getByRole('button', { name: 'Test connection to rack-u1' }).click();
    await pwExpect(page.getByRole('row', { name: /rack-u1/ })).toContainText(`GUID ${ipmiServer.uuid}`, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Test connection to rack-u2' }).click();
    await pwExpect(page.getByRole('row', { name: /rack-u2/ })).toContainText(`UUID ${redfishServer.uuid}`, { timeout: 30_000 });
  }, 180_000);

  it('deploys both at once, each through its own BMC protocol; the Redfish one says it has no serial console', async () => {
    await step(page, 'Image');
    await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(image);
    await pwExpect(page.getByRole('table', { name: 'Images' })).toContainText(path.basename(image), { timeout: 120_000 });

    await step(page, 'MAC');
    // The lab's pool, clear of the BMC addresses.
    await startServices(page, lab.dhcpPool);
    await pwExpect(page.getByText(`DHCP full ${lab.dhcpPool.start}–${lab.dhcpPool.end}`)).toBeVisible();

    await step(page, 'Boot');
    await pwExpect(page.getByRole('alert', { name: 'Before deploying' })).toBeHidden();
    await page.getByRole('checkbox', { name: 'Select rack-u1' }).check();
    await page.getByRole('checkbox', { name: 'Select rack-u2' }).check();
    await page.getByRole('button', { name: /Deploy selected/ }).click();
    const rack = page.getByRole('table', { name: 'Rack' });
    await pwExpect(rack.getByRole('row', { name: /rack-u1/ })).toContainText('writing-image', { timeout: 400_000 });
    await pwExpect(rack.getByRole('row', { name: /rack-u2/ })).toContainText(/writing-image|switching-to-disk|rebooting|booting-disk|deployed/, { timeout: 400_000 });
    await keepScreenshot(page, 'redfish-rack-03-writing');
    for (const name of ['rack-u1', 'rack-u2']) {
      await pwExpect(rack.getByRole('row', { name: new RegExp(name) })).toContainText('deployed · deployed', { timeout: 600_000 });
    }
    // The first "Server" chooser is the power and console one (the live log has its own).
    const serverChooser = page.getByRole('combobox', { name: 'Server' }).first();
    await serverChooser.click();
    await page.getByRole('option', { name: 'rack-u2' }).click();
    await pwExpect(page.getByRole('alert', { name: 'No serial console for rack-u2' })).toContainText('the console is IPMI Serial-over-LAN');
    await pwExpect(page.getByRole('button', { name: 'Open console' })).toBeHidden();
    await keepScreenshot(page, 'redfish-rack-04-deployed');
    await serverChooser.click();
    await page.getByRole('option', { name: 'rack-u1' }).click();
    await pwExpect(page.getByRole('button', { name: 'Open console' })).toBeVisible();

    const size = (await stat(image)).size;
    const sum = await sha256OfPrefix(image, size);
    for (const server of lab.servers) {
      expect(await sha256OfPrefix(server.diskPath, size)).toBe(sum);
      // Each came up from its disk: seen on the server's own serial port, the test's witness for both protocols.
      await waitForSerial(server, new RegExp(DEPLOYED_MARKER), { timeoutMs: 120_000 });
    }
    expect(await readFile(lab.servers[1]!.eventsLogPath, 'utf8')).toMatch(/redfish: power On[\s\S]*power on: boot device pxe[\s\S]*power on: boot device default/);

    // In parallel: both were in flight together — each had captured its MAC and was booting its ramdisk before either
    // was deployed (a one-at-a-time deploy would start the second only after the first).
    await app?.stop();
    app = undefined;
    const records = (await DeployStore.open(path.join(dir, 'data'))).list();
    expect(records).toHaveLength(2);
    const firstDeployed = Math.min(...records.map((record) => Date.parse(record.history.at(-1)!.at)));
    for (const record of records) {
      expect(record.status).toBe('deployed');
      expect(record.history.map((entry) => entry.phase)).toEqual([...DEPLOY_PHASES]);
      expect(Date.parse(record.history.find((entry) => entry.phase === 'ramdisk')!.at)).toBeLessThan(firstDeployed);
    }
  }, 1_200_000);
});
