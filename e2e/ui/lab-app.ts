import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from '../lab';
import type { HeadlessApp } from './headless-app';

/**
 * The laptop of the virtual rack: Rackboot's headless server and the Chromium that shows it both run inside the lab's
 * provisioning namespace, where the BMCs and the servers' PXE traffic are. Playwright talks to Chromium over a pipe,
 * so nothing of it crosses into the host's network.
 */
export async function startHeadlessAppInLab(lab: Lab, dataDir: string, env: Record<string, string> = {}): Promise<HeadlessApp> {
  const child = lab.prov.spawn('env', [
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    process.execPath,
    path.resolve('dist/electron/headless.mjs'),
    '--port',
    '0',
    '--data-dir',
    dataDir,
  ]);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`headless server did not start:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`headless server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A Chromium launcher that starts the browser inside the namespace (Playwright's executablePath). */
export async function chromiumInNamespace(lab: Lab, dir: string): Promise<string> {
  const wrapper = path.join(dir, 'chromium-in-lab.sh');
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.prov.name} ${chromium} "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
