import type { Page } from '@playwright/test';
import path from 'node:path';

/** Screenshots of the wizard are kept as artifacts under this folder, printed so a reader can find them. */
export const SCREENSHOT_DIR = path.resolve('test-results/screenshots');

let announced = false;

export async function keepScreenshot(page: Page, name: string): Promise<void> {
  if (!announced) {
    console.log(`screenshots: ${SCREENSHOT_DIR}`);
    announced = true;
  }
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
