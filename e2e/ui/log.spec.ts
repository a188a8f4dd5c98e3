import { expect, test, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FLOOD_MARKER, floodLine } from '../../electron/core/log-flood';
import { callApi, startHeadlessApp, type HeadlessApp } from './headless-app';
import { step } from './wizard-flow';

let dataDir: string;
let app: HeadlessApp | undefined;

test.beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-ui-log-'));
  // RACKBOOT_BENCH=1 enables diagnostics.floodLog, which plays a deploy writing thousands of log lines.
  app = await startHeadlessApp(dataDir, { RACKBOOT_BENCH: '1' });
});
test.afterEach(async () => {
  await app?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function openLog(page: Page): Promise<void> {
  await page.goto(app!.url);
  await step(page, 'Boot');
  await expect(page.getByRole('log', { name: 'Live log' })).toBeVisible();
}

const flood = (linesPerSecond: number, seconds: number): Promise<{ sent: number }> =>
  callApi(app!.url, 'diagnostics.floodLog', { linesPerSecond, seconds });

test('the live log keeps every line of a flood and follows it to the last one', async ({ page }) => {
  await openLog(page);
  const { sent } = await flood(3000, 1);
  const log = page.getByRole('log', { name: 'Live log' });
  await expect(log).toContainText(floodLine(sent, sent));
  await page.getByRole('textbox', { name: 'Search log' }).fill(FLOOD_MARKER);
  await expect(page.getByTestId('log-count')).toHaveText(`${sent} lines`);
});

test('scrolling up stops following, so the lines being read stay put while more arrive', async ({ page }) => {
  await openLog(page);
  await flood(2000, 0.5);
  const log = page.getByRole('log', { name: 'Live log' });
  await expect(log).toContainText(floodLine(1000, 1000));
  await log.hover();
  await page.mouse.wheel(0, -1_000_000);
  await expect(page.getByLabel('Follow')).not.toBeChecked();
  await expect(log).toContainText(floodLine(1, 1000));

  await flood(3000, 0.5);
  await expect(page.getByTestId('log-count')).toHaveText('2500 lines');
  await expect(log).toContainText(floodLine(1, 1000));
  await expect(log).not.toContainText(floodLine(1500, 1500));

  await page.getByLabel('Follow').check();
  await expect(log).toContainText(floodLine(1500, 1500));
  await expect(log).not.toContainText(floodLine(1, 1000));
});
