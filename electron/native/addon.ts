// Finds and loads one of Rackboot's Node-API addons (built into dist/native by scripts/build-native.mjs).
// A default import: the ES-module bundles already declare `createRequire` in their banner (scripts/build-main.mjs).
import nodeModule from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** From the sources (electron/native) and from the bundles (dist/electron) alike, the addons are in dist/native. */
const addonDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/native');
const requireAddon = nodeModule.createRequire(import.meta.url);

export type AddonLoad<T> = { addon: T; problem: null } | { addon: null; problem: string };

const loaded = new Map<string, AddonLoad<unknown>>();

/**
 * The addon `name`, or why it cannot be used. Callers fall back to plain Node and log `problem`.
 * With RACKBOOT_REQUIRE_NATIVE=1 (the test command) a missing addon throws, so tests cannot pass on the fallback.
 */
export function loadAddon<T>(name: string, isShaped: (value: unknown) => value is T): AddonLoad<T> {
  const cached = loaded.get(name) as AddonLoad<T> | undefined;
  if (cached) return cached;
  let result: AddonLoad<T>;
  const file = path.join(addonDir, `${name}.node`);
  try {
    const value: unknown = requireAddon(file);
    result = isShaped(value) ? { addon: value, problem: null } : { addon: null, problem: `${file} is not the expected addon (rebuild with npm run build)` };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    result = { addon: null, problem: `native addon ${name} is not available (${reason}); npm run build compiles it (needs gcc)` };
  }
  if (result.problem !== null && process.env.RACKBOOT_REQUIRE_NATIVE === '1') throw new Error(result.problem);
  loaded.set(name, result);
  return result;
}
