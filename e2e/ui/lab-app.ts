import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from '../lab';
import { headlessAppArgs, watchHeadlessApp, type HeadlessApp } from './headless-app';

/**
 * The laptop of the virtual rack: Rackboot's headless server and the Chromium that shows it both run inside the lab's
 * provisioning namespace, where the BMCs and the servers' PXE traffic are. Playwright talks to Chromium over a pipe,
 * so nothing of it crosses into the host's network.
 */
export function startHeadlessAppInLab(lab: Lab, dataDir: string, env: Record<string, string> = {}): Promise<HeadlessApp> {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return watchHeadlessApp(lab.prov.spawn('env', [...assignments, process.execPath, ...headlessAppArgs(dataDir)]));
}

/** A Chromium launcher that starts the browser inside the namespace (Playwright's executablePath). */
export async function chromiumInNamespace(lab: Lab, dir: string): Promise<string> {
  const wrapper = path.join(dir, 'chromium-in-lab.sh');
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.prov.name} ${chromium} "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
