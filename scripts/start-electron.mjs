// `npm start`: opens the desktop window, or says plainly why it cannot and what runs instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const electronDir = path.dirname(require.resolve('electron/package.json'));

function binaryPath() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(binary) ? binary : null;
}

let binary = binaryPath();
if (!binary) {
  spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { stdio: 'inherit' });
  binary = binaryPath();
}
if (!binary) {
  console.error('Rackboot: no Electron binary could be installed (its download host is unreachable from here).');
  console.error('Run the same app in your browser instead: npm run serve');
  process.exit(1);
}
const child = spawn(binary, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
