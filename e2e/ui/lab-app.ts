import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from '../lab';
import type { Netns } from '../support/netns';
import { headlessAppArgs, watchHeadlessApp, type HeadlessApp } from './headless-app';

/**
 * The laptop of the virtual rack: Rackboot's headless server and the Chromium that shows it both run inside the lab's
 * provisioning namespace, where the BMCs and the servers' PXE traffic are. Playwright talks to Chromium over a pipe,
 * so nothing of it crosses into the host's network.
 */
export function startHeadlessAppInLab(lab: Lab, dataDir: string, env: Record<string, string> = {}): Promise<HeadlessApp> {
  return startHeadlessAppInNamespace(lab.prov, dataDir, env);
}

/** The headless server inside a network namespace (the lab's laptop, or one a test made). */
export function startHeadlessAppInNamespace(namespace: Netns, dataDir: string, env: Record<string, string> = {}): Promise<HeadlessApp> {
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return watchHeadlessApp(namespace.spawn('env', [...assignments, process.execPath, ...headlessAppArgs(dataDir)]));
}

/** A launcher that starts a program inside a network namespace, e.g. the lab's laptop (for Playwright's executablePath). */
export async function inNamespace(namespace: { readonly name: string }, dir: string, program: string): Promise<string> {
  const wrapper = path.join(dir, `${path.basename(program)}-in-${namespace.name}.sh`);
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${namespace.name} ${program} "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
