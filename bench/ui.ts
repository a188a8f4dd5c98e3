// The wizard under a log flood: 5,000 lines a second for 10 s through the real path (core log → event bus → headless
// WebSocket → renderer client → log store → LogView) in Debian's Chromium, headless.
//   p95_frame_ms  95th percentile of the intervals between animation frames during the flood (target ≤ 32)
//   click_ms      the slowest of CLICK_OFFSETS_MS.length clicks on the log's Follow switch during the flood, from the
//                 pointer going down to the paint that shows the switch flipped, or the browser's Event Timing
//                 duration of the click's events if that is longer (target ≤ 100)
//   lines_lost    lines the core sent − flood lines the log view counts afterwards
// Builds the app first (a few seconds), so it measures the code as it is. Run: `npm run bench -- ui`.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Locator, type Page } from 'playwright';
import { callApi, startHeadlessApp } from '../e2e/ui/headless-app';
import { FLOOD_MARKER } from '../electron/core/log-flood';
import { CHROMIUM_ARGS } from '../playwright.config';
import type { ProbeReport } from './ui-probes';

const LINES_PER_SECOND = 5000;
const SECONDS = 10;
/** Clicks in pairs (Follow off, then on again), so the view follows the flood most of the time. */
const CLICK_OFFSETS_MS = [1500, 1800, 3000, 3300, 4500, 4800, 6000, 6300, 7500, 7800, 9000, 9300];

/**
 * The page-side probes as one script that defines `uibenchProbes`. Handing page.evaluate the imported functions does
 * not work: tsx wraps named functions in a `__name` helper that exists only in this process.
 */
async function probeScript(): Promise<string> {
  const result = await build({
    entryPoints: [path.resolve('bench/ui-probes.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'uibenchProbes',
    target: 'chrome120',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Flood lines the log view holds once the flood has settled: its line count with the search narrowed to them. */
async function floodLinesShown(page: Page, sent: number): Promise<number> {
  await page.getByRole('textbox', { name: 'Search log' }).fill(FLOOD_MARKER);
  const count = page.getByTestId('log-count');
  let shown = Number.NaN;
  for (let waited = 0; waited < 10_000; waited += 100) {
    shown = Number(/^(\d+)/.exec((await count.textContent()) ?? '')?.[1]);
    if (shown >= sent) break;
    await sleep(100);
  }
  return shown;
}

const CLICK_EVENTS = new Set(['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click']);

/**
 * Per click: the longer of the probe's own time (pointer down to the paint showing the flipped switch) and the
 * longest Event Timing entry of its events (reported only from 16 ms; the browser rounds them to 8 ms).
 */
function clickLatencies(report: ProbeReport): number[] {
  return report.clicks.map((click, index) => {
    const next = report.clicks[index + 1]?.down ?? Number.POSITIVE_INFINITY;
    const timed = report.eventTimings.filter((entry) => CLICK_EVENTS.has(entry.name) && entry.startTime >= click.down && entry.startTime < next);
    const painted = click.painted === null ? Number.POSITIVE_INFINITY : click.painted - click.down;
    return Math.max(painted, ...timed.map((entry) => entry.duration));
  });
}

const round = (value: number): number => Math.round(value * 10) / 10;

/**
 * Where an element sits once the page stops moving it: the Boot step fills in what a deploy still lacks after its
 * first render, which moves the log view down, and a click at the first position would miss the switch.
 */
async function settledBox(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let previous = await locator.boundingBox();
  for (let tries = 0; tries < 40; tries++) {
    await sleep(250);
    const box = await locator.boundingBox();
    if (box && previous && box.x === previous.x && box.y === previous.y && box.width === previous.width && box.height === previous.height) return box;
    previous = box;
  }
  throw new Error('the log view’s Follow switch did not come to rest on screen within 10 s');
}

async function measureUi(): Promise<{ p95_frame_ms: number; click_ms: number; lines_lost: number }> {
  execFileSync('npm', ['run', 'build'], { stdio: ['ignore', process.stderr, process.stderr] });
  const probes = await probeScript();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'rackboot-ui-bench-'));
  const app = await startHeadlessApp(dataDir, { RACKBOOT_BENCH: '1' });
  try {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(app.url);
      // The empty app opens with the setup check above the steps; it is not what is measured, and it would move the log.
      await page.getByRole('button', { name: 'Hide' }).click();
      await page.getByRole('tab', { name: 'Boot' }).click();
      const box = await settledBox(page.getByLabel('Follow'));
      await page.evaluate(`${probes}; uibenchProbes.installProbes()`);
      const started = performance.now();
      const flood = callApi(app.url, 'diagnostics.floodLog', { linesPerSecond: LINES_PER_SECOND, seconds: SECONDS });
      for (const offset of CLICK_OFFSETS_MS) {
        await sleep(started + offset - performance.now());
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      }
      const { sent } = await flood;
      const report = (await page.evaluate(`${probes}; uibenchProbes.stopProbes()`)) as ProbeReport;
      const shown = await floodLinesShown(page, sent);

      const frames = report.frames.slice(1).map((time, index) => time - report.frames[index]!);
      const clicks = clickLatencies(report);
      console.error(
        `frames: ${frames.length}, median ${round(percentile(frames, 0.5))} ms, p95 ${round(percentile(frames, 0.95))} ms, ` +
          `max ${round(Math.max(...frames))} ms; clicks (ms): ${clicks.map(round).join(' ')}, median ${round(percentile(clicks, 0.5))}; ` +
          `event timing entries ≥16 ms: ${report.eventTimings.length}; lines sent ${sent}, shown ${shown}`,
      );
      if (clicks.length !== CLICK_OFFSETS_MS.length) throw new Error(`${CLICK_OFFSETS_MS.length} clicks sent, the page saw ${clicks.length}`);
      return { p95_frame_ms: round(percentile(frames, 0.95)), click_ms: round(Math.max(...clicks)), lines_lost: sent - shown };
    } finally {
      await browser.close();
    }
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const result = await measureUi();
console.log(JSON.stringify({ bench: 'ui', ...result }));
