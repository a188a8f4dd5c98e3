import os from 'node:os';
import path from 'node:path';

/** Where headless mode keeps its state when no --data-dir is given (XDG on Linux, the usual places elsewhere). */
export function defaultHeadlessDataDir(): string {
  if (process.env.RACKBOOT_DATA_DIR) return process.env.RACKBOOT_DATA_DIR;
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'Rackboot', 'headless');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Rackboot', 'headless');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'rackboot');
}
