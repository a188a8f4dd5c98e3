// Module hooks for `import text from './file.sh?raw'` (what Vite, Vitest and scripts/build-main.mjs understand), so a
// test can run the headless entry from source under tsx: node --import tsx --import ./raw-text-import.mjs main.ts
import { readFile } from 'node:fs/promises';

export async function resolve(specifier, context, nextResolve) {
  if (!specifier.endsWith('?raw')) return nextResolve(specifier, context);
  return { url: `${new URL(specifier.slice(0, -'?raw'.length), context.parentURL).href}?raw`, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('?raw')) return nextLoad(url, context);
  const text = await readFile(new URL(url.slice(0, -'?raw'.length)), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}
