// Bundles the main-process code: the Electron shell (CommonJS, as Electron's sandboxed preload requires) and the
// plain-Node entries (headless server) as ES modules.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

await Promise.all([
  build({ ...common, entryPoints: { main: 'electron/main.ts', preload: 'electron/preload.ts' }, outdir: 'dist/electron', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['electron'] }),
  build({
    ...common,
    entryPoints: { headless: 'electron/headless/main.ts', 'net-helper': 'electron/network/helper/main.ts' },
    outdir: 'dist/electron',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  }),
]);
