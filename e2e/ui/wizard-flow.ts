import { expect, type Page } from '@playwright/test';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DEPLOYED_MARKER, sha256OfPrefix } from '../deploy/test-image';
import type { Lab, LabServer } from '../lab';
import { keepScreenshot } from './screenshots';

/** The wizard steps a technician follows, as tests drive them (in Chromium or in the Electron window). */
export async function step(page: Page, name: string): Promise<void> {
  const tab = page.getByRole('tab', { name });
  // On an empty app's first load the setup check opens above the steps: a click whose press and release straddle
  // that shift selects nothing, and a technician would click again.
  await expect(async () => {
    await tab.click();
    await expect(tab).toHaveAttribute('aria-selected', 'true', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
}

export async function enrol(page: Page, name: string, server: Pick<LabServer, 'bmc'>): Promise<void> {
  await page.getByRole('button', { name: 'Add server' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a server' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'BMC address' }).fill(server.bmc.address);
  await dialog.getByRole('textbox', { name: 'BMC user' }).fill(server.bmc.user);
  await dialog.getByLabel('BMC password').fill(server.bmc.password);
  await dialog.getByRole('button', { name: 'Add server' }).click();
  await expect(dialog).toBeHidden();
}

/**
 * Starts the boot services from the panel in view with the lab's address pool. When they do not start, the test fails
 * with what the panel said (its error, or that it said none).
 */
export async function startServices(page: Page, pool: Lab['dhcpPool']): Promise<void> {
  await page.getByRole('textbox', { name: 'Address pool' }).fill(`${pool.start}-${pool.end}`);
  await page.getByRole('button', { name: 'Start services' }).click();
  const running = page.getByText(/Network boot services are running on/);
  const refusal = page.getByLabel('Network boot services').locator('.MuiAlert-standardError');
  await running.or(refusal).waitFor({ timeout: 20_000 }).catch(() => undefined);
  const said = (await refusal.allInnerTexts()).join(' / ') || 'no error shown';
  await expect(running, `the boot services did not start (${said})`).toBeVisible({ timeout: 1_000 });
}

/** BMC step: enrol the server by its BMC and check the connection (which reads its System GUID). */
async function bmcStep(page: Page, server: LabServer, shots: string): Promise<void> {
  await enrol(page, 'rack-u1', server);
  await page.getByRole('button', { name: 'Test connection to rack-u1' }).click();
  await expect(page.getByRole('row', { name: /rack-u1/ })).toContainText(`GUID ${server.uuid}`, { timeout: 30_000 });
  await keepScreenshot(page, `${shots}-01-bmc`);
}

/** Network step: the laptop's wired NIC is already on the provisioning subnet in the lab. */
async function networkStep(page: Page, lab: Lab, shots: string): Promise<void> {
  await step(page, 'Network');
  await expect(page.getByRole('table', { name: 'Network interfaces' })).toContainText(lab.provInterface);
  await keepScreenshot(page, `${shots}-02-network`);
}

/** Image step: the OS image; the deploy ramdisk is the built-in one, nothing under Advanced is touched. */
async function imageStep(page: Page, image: string, shots: string): Promise<void> {
  await step(page, 'Image');
  await page.getByRole('main').getByLabel('Image file to upload').setInputFiles(image);
  await expect(page.getByRole('table', { name: 'Images' })).toContainText(path.basename(image), { timeout: 120_000 });
  await expect(page.getByLabel('Built-in ramdisk')).toContainText(/Built-in: Debian 12\.\d+, kernel 6\.1\.\d+, \d+ drivers, \d+ firmware files/);
  await keepScreenshot(page, `${shots}-03-image`);
}

/** MAC step: start the boot services on the provisioning NIC and capture the server's PXE MAC. */
async function macStep(page: Page, lab: Lab, server: LabServer, shots: string): Promise<void> {
  await step(page, 'MAC');
  await expect(page.getByRole('button', { name: 'Capture MAC of rack-u1' })).toBeDisabled();
  await expect(page.getByRole('alert', { name: 'Capture needs the services' })).toBeVisible();
  await startServices(page, lab.dhcpPool);
  await expect(page.getByRole('alert', { name: 'Capture needs the services' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'BIOS (legacy)' })).toHaveAttribute('aria-pressed', 'true');
  await page.getByRole('button', { name: 'Capture MAC of rack-u1' }).click();
  await expect(page.getByRole('status', { name: 'Capturing rack-u1' })).toBeVisible();
  await keepScreenshot(page, `${shots}-04-capturing`);
  const macs = page.getByRole('table', { name: 'MAC addresses' });
  await expect(macs).toContainText(server.mac, { timeout: 120_000 });
  await expect(macs).toContainText('matched System GUID');
  await keepScreenshot(page, `${shots}-05-captured`);
}

/** Boot step: deploy, watch it live, and see the installed OS on the serial console. */
async function bootStep(page: Page, server: LabServer, image: string, shots: string): Promise<void> {
  await step(page, 'Boot');
  await expect(page.getByRole('alert', { name: 'Before deploying' })).toBeHidden();
  await page.getByRole('checkbox', { name: 'Select rack-u1' }).check();
  await page.getByRole('button', { name: /Deploy selected/ }).click();
  const rack = page.getByRole('table', { name: 'Rack' });
  await expect(rack).toContainText('writing-image', { timeout: 300_000 });
  await keepScreenshot(page, `${shots}-06-writing`);
  await expect(rack).toContainText('deployed · deployed', { timeout: 400_000 });
  await page.getByRole('button', { name: 'Open console' }).click();
  await page.getByRole('button', { name: 'Power cycle' }).click();
  await expect(page.getByRole('region', { name: 'Serial console of rack-u1' })).toContainText(DEPLOYED_MARKER, { timeout: 180_000 });
  await keepScreenshot(page, `${shots}-07-deployed-console`);
  await expect(page.getByRole('log', { name: 'Live log' })).toContainText('Image verified on disk');

  const size = (await stat(image)).size;
  expect(await sha256OfPrefix(server.diskPath, size)).toBe(await sha256OfPrefix(image, size));
}

/**
 * A first-time technician's whole flow on an empty app, preparing everything before the boot services run: enrol the
 * lab's first server by its BMC, look at the network, add the image and the deploy ramdisk, start the boot services,
 * capture the MAC, deploy and watch the serial console. Screenshots are kept as `<shots>-NN-step.png`.
 */
export async function deployThroughWizard(page: Page, lab: Lab, image: string, shots: string, server: LabServer = lab.servers[0]!): Promise<void> {
  await bmcStep(page, server, shots);
  await networkStep(page, lab, shots);
  await imageStep(page, image, shots);
  await macStep(page, lab, server, shots);
  await bootStep(page, server, image, shots);
}

/**
 * The same flow in the stepper's own order, tab by tab: BMC → MAC (the services start there, for the capture) →
 * Network → Image (the ramdisk is saved while the services run) → Boot.
 */
export async function deployInStepperOrder(page: Page, lab: Lab, image: string, shots: string, server: LabServer = lab.servers[0]!): Promise<void> {
  await bmcStep(page, server, shots);
  await macStep(page, lab, server, shots);
  await networkStep(page, lab, shots);
  await imageStep(page, image, shots);
  await bootStep(page, server, image, shots);
}
