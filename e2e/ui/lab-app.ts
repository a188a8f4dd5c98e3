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

/** A launcher that starts a program inside the lab's laptop namespace (for Playwright's executablePath). */
export async function inNamespace(lab: Lab, dir: string, program: string): Promise<string> {
  const wrapper = path.join(dir, `${path.basename(program)}-in-lab.sh`);
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.prov.name} ${program} "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
