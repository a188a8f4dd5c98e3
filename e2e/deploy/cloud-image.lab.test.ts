// A real Debian cloud image (systemd, cloud-init, openssh-server; built from Debian's packages by cloud-image.ts)
// deployed through the wizard in Chromium to a lab server with the host name web-07 and an SSH key: the test then logs
// in over SSH from the laptop namespace with that key and sees web-07 and cloud-init's ConfigDrive datasource. Static
// address + BIOS in one boot, DHCP + UEFI in the other; and an MBR image with four primaries is refused before anything
// is written. TCG boots of systemd + cloud-init take minutes: the limits below are sized for a loaded 2-core machine.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect as pwExpect, type Browser, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../playwright.config';
import { startServices, step } from '../ui/wizard-flow';
import { SERVER_SIZED_DISK_MIB, startLab, type Lab, type LabServer } from '../lab';
import { isRoot, run } from '../support/netns';
import { inNamespace, startHeadlessAppInLab } from '../ui/lab-app';
import { keepScreenshot } from '../ui/screenshots';
import { buildCloudImage, cloudImageQcow2 } from './cloud-image';

const skip = !isRoot();
if (skip) console.log('skipped: the cloud image deploy needs root (namespaces, ipmi_sim, QEMU, mmdebstrap)');

const HOSTNAME = 'web-07';
const STATIC_ADDRESS = '10.77.0.57';
const BOOT_LIMIT_MS = 25 * 60_000;

interface Run {
  lab: Lab;
  app: Awaited<ReturnType<typeof startHeadlessAppInLab>>;
  browser: Browser;
  page: Page;
}

describe.skipIf(skip)('a cloud image deployed through the wizard comes up reachable with its identity', () => {
  let image: string;
  let dir: string;
  let home: string;
  let key: string;

  beforeAll(async () => {
    image = await cloudImageQcow2(await buildCloudImage((line) => console.log(`cloud image: ${line}`)));
    dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-cloud-'));
    // The laptop's ~/.ssh, where the wizard's one-click pick finds the key: the headless app runs with this HOME.
    home = path.join(dir, 'home');
    await mkdir(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    key = path.join(home, '.ssh', 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'technician@laptop', '-f', key]);
  }, 90 * 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function start(firmware: 'bios' | 'uefi', dataName: string): Promise<Run> {
    const lab = await startLab({ servers: 1, firmware, memoryMiB: 1024, diskMiB: SERVER_SIZED_DISK_MIB });
    const app = await startHeadlessAppInLab(lab, path.join(dir, dataName), { HOME: home });
    const browser = await chromium.launch({ executablePath: await inNamespace(lab.prov, dir, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'), args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.goto(app.url);
    return { lab, app, browser, page };
  }

  async function stop(run: Run | null): Promise<void> {
    await run?.browser.close().catch(() => undefined);
    await run?.app.stop().catch(() => undefined);
    await run?.lab.stop().catch(() => undefined);
  }

  /** BMC step with the Installed OS section filled in, then image, ramdisk, services and MAC capture. */
  async function prepare(run: Run, server: LabServer, firmware: 'bios' | 'uefi', network: 'static' | 'dhcp', shots: string): Promise<void> {
    const { page, lab } = run;
    await page.getByRole('button', { name: 'Add server' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a server' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('rack-u7');
    await dialog.getByRole('textbox', { name: 'BMC address' }).fill(server.bmc.address);
    await dialog.getByRole('textbox', { name: 'BMC user' }).fill(server.bmc.user);
    await dialog.getByLabel('BMC password').fill(server.bmc.password);
    await dialog.getByLabel('Give the installed OS its identity (config drive)').check();
    await dialog.getByRole('textbox', { name: 'Host name' }).fill(HOSTNAME);
    await dialog.getByRole('button', { name: 'Add id_ed25519.pub' }).click();
    await pwExpect(dialog.getByRole('textbox', { name: /SSH public keys/ })).toHaveValue(/^ssh-ed25519 \S+ technician@laptop$/);
    if (network === 'static') {
      await dialog.getByRole('radio', { name: 'Static address' }).check();
      await dialog.getByRole('textbox', { name: 'Address', exact: true }).fill(STATIC_ADDRESS);
      await dialog.getByRole('textbox', { name: 'Prefix length' }).fill(String(lab.prefixLength));
      await dialog.getByRole('textbox', { name: 'Gateway (optional)' }).fill(lab.provAddress);
      await dialog.getByRole('textbox', { name: 'DNS servers' }).fill(lab.provAddress);
    }
    // A #cloud-config that does not parse is refused with its line and column before anything is saved.
    const userData = dialog.getByRole('textbox', { name: 'User-data (optional)' });
    await userData.fill('#cloud-config\nruncmd: [touch /var/tmp/rackboot\nwrite_files: []\n');
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await pwExpect(dialog).toContainText(/user-data is not valid YAML at line \d+, column \d+/);
    await userData.fill('#cloud-config\nruncmd:\n  - [touch, /var/tmp/rackboot-user-data]\n');
    await keepScreenshot(page, `${shots}-01-installed-os`);
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await pwExpect(dialog).toBeHidden();

    // The built-in deploy ramdisk and the default disk choice: nothing under Advanced is touched.
    await step(page, 'Image');
    await page.getByRole('radio', { name: firmware === 'uefi' ? 'UEFI' : 'BIOS' }).check();
    await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(image);
    const images = page.getByRole('table', { name: 'Images' });
    await pwExpect(images).toContainText(path.basename(image), { timeout: 300_000 });
    await pwExpect(images).toContainText('qcow2');

    await step(page, 'MAC');
    await startServices(page, lab.dhcpPool);
    if (firmware === 'uefi') await page.getByRole('button', { name: 'UEFI' }).click();
    await page.getByRole('button', { name: 'Capture MAC of rack-u7' }).click();
    await pwExpect(page.getByRole('table', { name: 'MAC addresses' })).toContainText(server.mac, { timeout: 180_000 });
  }

  /** Boot step: deploy, and wait for the SSH banner the timeline names. */
  async function deployAndWait(run: Run, imageName: string, shots: string): Promise<void> {
    const { page } = run;
    await step(page, 'Boot');
    await page.getByRole('checkbox', { name: 'Select rack-u7' }).check();
    await page.getByRole('combobox', { name: 'Image' }).click();
    await page.getByRole('option', { name: new RegExp(imageName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).click();
    await page.getByRole('button', { name: /Deploy selected/ }).click();
    const rack = page.getByRole('table', { name: 'Rack' });
    await pwExpect(rack).toContainText('writing-image', { timeout: 600_000 });
    await pwExpect(rack).toContainText('deployed · deployed', { timeout: BOOT_LIMIT_MS });
    await keepScreenshot(page, `${shots}-02-deployed`);
  }

  /** Logs in from the laptop's namespace with the key the wizard put on the config drive. */
  async function ssh(lab: Lab, address: string, command: string, timeoutMs = 120_000): Promise<string> {
    return run('ip', ['netns', 'exec', lab.prov.name, 'ssh', '-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', `debian@${address}`, command], { timeoutMs });
  }

  async function expectIdentity(run: Run, address: string): Promise<void> {
    expect((await ssh(run.lab, address, 'hostname')).trim()).toBe(HOSTNAME);
    // Exits non-zero, with what failed, unless every cloud-init stage ran without an error. SSH answers before
    // cloud-init's last stage is over, which under TCG takes minutes more.
    expect(await ssh(run.lab, address, 'sudo cloud-init status --wait', 10 * 60_000)).toMatch(/status: done/);
    const result = JSON.parse(await ssh(run.lab, address, 'cat /run/cloud-init/result.json')) as { v1: { datasource: string; errors: string[] } };
    expect(result.v1.errors).toEqual([]);
    expect(result.v1.datasource).toMatch(/^DataSourceConfigDrive .*\[source=\/dev\/vda\d\]/);
    expect((await ssh(run.lab, address, 'sudo cloud-init query ds.meta_data.hostname')).trim()).toBe(HOSTNAME);
    expect(await ssh(run.lab, address, 'ls /var/tmp')).toContain('rackboot-user-data');
    const log = await run.page.getByRole('log', { name: 'Live log' }).textContent();
    expect(log).toMatch(/Config drive written and read back intact/);
  }

  it('static address, BIOS: SSH answers at the static address, as web-07, from the config drive', async () => {
    let current: Run | null = null;
    try {
      current = await start('bios', 'data-static');
      const server = current.lab.servers[0]!;
      await prepare(current, server, 'bios', 'static', 'cloud-static');
      await deployAndWait(current, path.basename(image), 'cloud-static');
      await pwExpect(current.page.getByRole('log', { name: 'Live log' })).toContainText(`SSH answered on ${STATIC_ADDRESS}:22 (its static address)`);
      await expectIdentity(current, STATIC_ADDRESS);
      // The gateway of network_data.json's route, on the NIC its link names by MAC.
      expect(await ssh(current.lab, STATIC_ADDRESS, 'ip route show default')).toContain(`default via ${current.lab.provAddress} dev eth0`);

      // The same node and an MBR image with four primary partitions: refused before the server is even booted.
      const mbr = path.join(dir, 'four-primaries.raw');
      await run('truncate', ['-s', '24M', mbr]);
      execFileSync('sfdisk', ['-q', mbr], { input: 'label: dos\nsize=4M\nsize=4M\nsize=4M\nsize=4M\n' });
      const page = current.page;
      await step(page, 'Image');
      await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(mbr);
      await pwExpect(page.getByRole('table', { name: 'Images' })).toContainText('four-primaries.raw', { timeout: 120_000 });
      await step(page, 'Boot');
      await page.getByRole('checkbox', { name: 'Select rack-u7' }).check();
      await page.getByRole('combobox', { name: 'Image' }).click();
      await page.getByRole('option', { name: /four-primaries\.raw/ }).click();
      await page.getByRole('button', { name: /Deploy selected/ }).click();
      await pwExpect(page.getByRole('table', { name: 'Rack' })).toContainText(/failed/, { timeout: 120_000 });
      await pwExpect(page.getByRole('log', { name: 'Live log' })).toContainText('all four primary partitions in use', { timeout: 30_000 });
      await keepScreenshot(page, 'cloud-static-03-mbr-refused');
      // Nothing was written: the disk still holds the cloud image's GPT.
      const disk = await open(server.diskPath, 'r');
      const header = Buffer.alloc(8);
      await disk.read(header, 0, 8, 512).finally(() => disk.close());
      expect(header.toString()).toBe('EFI PART');
    } finally {
      await stop(current);
    }
  }, 60 * 60_000);

  it('DHCP, UEFI: SSH answers at the lease our DHCP gave its MAC, as web-07, from the config drive', async () => {
    let current: Run | null = null;
    try {
      current = await start('uefi', 'data-dhcp');
      const server = current.lab.servers[0]!;
      await prepare(current, server, 'uefi', 'dhcp', 'cloud-dhcp');
      await deployAndWait(current, path.basename(image), 'cloud-dhcp');
      const log = (await current.page.getByRole('log', { name: 'Live log' }).textContent()) ?? '';
      const address = /SSH answered on (10\.77\.0\.\d+):22 \(the address our DHCP leased/.exec(log)?.[1];
      expect(address).toBeDefined();
      await expectIdentity(current, address!);
    } finally {
      await stop(current);
    }
  }, 60 * 60_000);
});
