// `npm start` where Electron cannot start: the start script runs in a temporary app folder of its own (a copy of the
// script, an electron package whose installer fails as an unreachable download host makes it fail, or none at all),
// and its dist/electron/headless.mjs runs the headless entry from source. The desktop's opener is a stand-in on PATH
// that records the URL it was given, so no browser opens.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const UNREACHABLE = 'RequestError: getaddrinfo ENOTFOUND github.com';

let dir: string;
let running: ChildProcess | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rackboot-start-'));
  await mkdir(path.join(dir, 'scripts'));
  await copyFile(path.join(REPO, 'scripts/start-electron.mjs'), path.join(dir, 'scripts/start-electron.mjs'));
  await mkdir(path.join(dir, 'dist/electron'), { recursive: true });
  await writeFile(path.join(dir, 'dist/electron/headless.mjs'), `import ${JSON.stringify(pathToFileURL(path.join(REPO, 'electron/headless/main.ts')).href)};\n`);
  await mkdir(path.join(dir, 'renderer'));
  await writeFile(path.join(dir, 'renderer/index.html'), '<!doctype html><title>Rackboot</title>');
  await mkdir(path.join(dir, 'bin'));
  await writeFile(path.join(dir, 'bin/xdg-open'), `#!/bin/sh\necho "$1" > "${path.join(dir, 'opened')}"\n`);
  await chmod(path.join(dir, 'bin/xdg-open'), 0o755);
});
afterEach(async () => {
  if (running && running.exitCode === null && running.signalCode === null) {
    const exited = new Promise((resolve) => running!.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  }
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function electronWhoseDownloadFails(): Promise<void> {
  const electron = path.join(dir, 'node_modules/electron');
  await mkdir(electron, { recursive: true });
  await writeFile(path.join(electron, 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1', main: 'index.js' }));
  await writeFile(path.join(electron, 'install.js'), `console.error(${JSON.stringify(UNREACHABLE)});\nconsole.error('    at ClientRequest.<anonymous>');\nprocess.exit(1);\n`);
}

interface Started {
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `npm start`'s script as npm would, with `display` as the session's DISPLAY (none when undefined). */
async function start(display: string | undefined): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    PATH: path.join(dir, 'bin'),
    RACKBOOT_RENDERER_DIR: path.join(dir, 'renderer'),
    NODE_OPTIONS: `--import tsx --import ${path.join(REPO, 'electron/headless/test-support/raw-text-import.mjs')}`,
    ...(display ? { DISPLAY: display } : {}),
  };
  const child = spawn(process.execPath, [path.join(dir, 'scripts/start-electron.mjs'), '--port', '0', '--data-dir', path.join(dir, 'data')], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = child;
  let output = '';
  child.stdout!.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited (${code}) without serving:\n${output}`));
    });
  });
  return { url, output: () => output, exited };
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(process.platform !== 'linux')('npm start where Electron cannot start', () => {
  it('says why, serves the app in the browser mode and opens it with xdg-open', async () => {
    await electronWhoseDownloadFails();
    const app = await start(':0');

    expect(app.output()).toContain(`Electron did not start: its binary is not installed and could not be downloaded (${UNREACHABLE})`);
    expect(app.output()).toContain('Running the same app in your browser instead');
    const page = await fetch(app.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Rackboot');
    const opened = await eventually(() => readFile(path.join(dir, 'opened'), 'utf8'), 'xdg-open to be called');
    expect(opened.trim()).toBe(app.url);
    expect(app.output()).toContain('Opening it in your browser (xdg-open)');

    running!.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    await expect(fetch(app.url)).rejects.toThrow();
  }, 60_000);

  it('without an electron package or a display, prints the URL to open and opens nothing', async () => {
    const app = await start(undefined);

    expect(app.output()).toContain('Electron did not start: the electron package is not installed');
    expect((await fetch(app.url)).status).toBe(200);
    await eventually(async () => (/Open that URL in a browser/.test(app.output()) ? true : undefined), 'the advice to open the URL');
    expect(app.output()).toContain('not opened automatically: no desktop session here');
    await expect(readFile(path.join(dir, 'opened'), 'utf8')).rejects.toThrow();
  }, 60_000);
});
