import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserFacingError } from '../lib/user-facing-error';
import type { CpioEntry } from './cpio';

/** From the sources and from the bundles alike, scripts/build-native.mjs leaves the helpers in dist/agent-tools. */
const defaultToolDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/agent-tools');

export interface AgentTools {
  /** One static executable per helper, for the ramdisk's /bin. */
  entries: CpioEntry[];
  /** Changes whenever a helper does: part of the ramdisk cache key. */
  digest: string;
}

/**
 * The deploy agent's static helpers (electron/deploy/agent/tools/*.c), which every ramdisk carries beside busybox.
 * The agent cannot work without them, so a missing build is an error that says how to make it.
 */
export async function loadAgentTools(toolDir = defaultToolDir): Promise<AgentTools> {
  const names = await fs.readdir(toolDir).catch(() => {
    throw new UserFacingError(
      'agent-tools',
      `The deploy agent's helpers are not built (${toolDir} is missing): run npm run build (it needs gcc and libc6-dev).`,
    );
  });
  const hash = createHash('sha256');
  const entries: CpioEntry[] = [];
  for (const name of names.sort()) {
    const data = await fs.readFile(path.join(toolDir, name));
    hash.update(name).update('\0').update(data);
    entries.push({ kind: 'file', path: `bin/${name}`, data, mode: 0o755 });
  }
  return { entries, digest: hash.digest('hex') };
}
