// Electron >= 42 no longer fetches its binary on install; this does it, so `npm install && npm start` works.
// Where the download cannot be made (offline, a closed network), install still succeeds and says what is missing.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  console.log('rackboot: electron is not installed (production install?); skipping the Electron binary.');
  process.exit(0);
}

const result = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, encoding: 'utf8' });
if (result.status === 0) {
  console.log('rackboot: Electron binary is ready.');
} else {
  const reason = `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n').find((line) => line.trim() !== '') ?? result.error?.message ?? 'unknown error';
  console.warn(
    [
      'rackboot: the Electron binary could not be downloaded, so `npm start` cannot open the desktop window here.',
      `  reason: ${reason.trim()}`,
      '  Everything else works: `npm run serve` runs the same app in a browser, and `npm test` runs without Electron.',
      '  To retry later: `npx install-electron` (or set ELECTRON_MIRROR to a reachable mirror).',
    ].join('\n'),
  );
}
