import os from 'node:os';
import path from 'node:path';

/** Lab tests shorten every deploy phase limit with RACKBOOT_TIMEOUT_SCALE (0.2 waits 18 s instead of 90 s); 1 otherwise. */
export function timeoutScaleFromEnv(): number {
  const scale = Number(process.env.RACKBOOT_TIMEOUT_SCALE ?? '1');
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Where headless mode keeps its state when no --data-dir is given (XDG on Linux, the usual places elsewhere). */
export function defaultHeadlessDataDir(): string {
  if (process.env.RACKBOOT_DATA_DIR) return process.env.RACKBOOT_DATA_DIR;
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'Rackboot', 'headless');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Rackboot', 'headless');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'rackboot');
}
