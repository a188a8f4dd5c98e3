// `npm start`: opens the desktop window. Where Electron cannot start here (its package or binary is missing and cannot
// be installed, or a Linux session has no display), it says why and runs the same app in the browser instead: the
// headless server (`npm run serve`), whose URL it prints and opens with the desktop's opener when there is one.
// Arguments after `npm start --` go to Electron, or to the headless server (`--port N`, `--data-dir DIR`, …).
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const require = createRequire(import.meta.url);

function electronDir() {
  try {
    return path.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

function binaryPath(dir) {
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(binary) ? binary : null;
}

/** Electron's binary, installing it if it is missing; or why there is none. */
function findElectron() {
  const dir = electronDir();
  if (!dir) return { reason: 'the electron package is not installed (an install without dev dependencies?)' };
  const installed = binaryPath(dir);
  if (installed) return { binary: installed };
  console.error('Rackboot: Electron’s binary is missing; trying to download it…');
  const install = spawnSync(process.execPath, [path.join(dir, 'install.js')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, encoding: 'utf8' });
  const binary = binaryPath(dir);
  if (binary) return { binary };
  const said = `${install.stderr ?? ''}${install.stdout ?? ''}`.split('\n').find((line) => line.trim() !== '');
  const why = said?.trim() ?? install.error?.message ?? `the installer exited with code ${install.status}`;
  return { reason: `its binary is not installed and could not be downloaded (${why}); to retry: npx install-electron, or set ELECTRON_MIRROR` };
}

function hasDisplay() {
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** The command that opens a URL in the desktop's browser, or why there is none. */
function desktopOpener(url) {
  if (process.platform === 'darwin') return { command: 'open', args: [url] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '', url] };
  if (!hasDisplay()) return { reason: 'no desktop session here, DISPLAY and WAYLAND_DISPLAY are unset' };
  const xdgOpen = onPath('xdg-open');
  return xdgOpen ? { command: xdgOpen, args: [url] } : { reason: 'xdg-open is not installed' };
}

function openInBrowser(url) {
  const opener = desktopOpener(url);
  if (!opener.command) {
    console.log(`Open that URL in a browser (not opened automatically: ${opener.reason}).`);
    return;
  }
  const name = path.basename(opener.command);
  const child = spawn(opener.command, opener.args, { stdio: 'ignore', detached: true });
  child.on('error', (error) => console.log(`Could not open a browser with ${name} (${error.message}): open that URL yourself.`));
  child.on('exit', (code) => {
    if (code !== 0) console.log(`${name} could not open a browser (exit code ${code}): open that URL yourself.`);
  });
  child.unref();
  console.log(`Opening it in your browser (${name}).`);
}

function startInBrowser(reason) {
  console.error(`Rackboot: Electron did not start: ${reason}.`);
  console.error('Running the same app in your browser instead (headless mode, as `npm run serve`); Ctrl-C stops it.');
  const entry = path.join(appRoot, 'dist', 'electron', 'headless.mjs');
  // In a process group of its own, so a Ctrl-C reaches it once, forwarded from here, and it can close its state.
  const server = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: process.platform !== 'win32' });
  let opened = false;
  readline.createInterface({ input: server.stdout }).on('line', (line) => {
    console.log(line);
    const url = /open (http:\/\/\S+)/.exec(line)?.[1];
    if (url && !opened) {
      opened = true;
      openInBrowser(url);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const electron = findElectron();
if (!electron.binary) {
  startInBrowser(electron.reason);
} else if (process.platform === 'linux' && !hasDisplay()) {
  startInBrowser('this session has no display for its window (DISPLAY and WAYLAND_DISPLAY are unset)');
} else {
  const child = spawn(electron.binary, ['.', ...args], { stdio: 'inherit', cwd: appRoot });
  child.on('exit', (code) => process.exit(code ?? 0));
}
