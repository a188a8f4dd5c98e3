// Bundles the main-process code: the Electron shell (CommonJS, as Electron's sandboxed preload requires) and the
// plain-Node entries (headless server) as ES modules.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

/** `import text from './file.sh?raw'`, as Vite and Vitest understand it. */
const rawText = {
  name: 'raw-text',
  setup(builder) {
    builder.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw-text',
    }));
    builder.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

/**
 * `require` for bundled CommonJS dependencies in the ES module bundles. Its import has a name of its own: bundled
 * sources import `createRequire` too (the addon loader), and a second top-level binding of one name does not load.
 */
const esmRequire = "import { createRequire as createBannerRequire } from 'node:module'; const require = createBannerRequire(import.meta.url);";

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', plugins: [rawText] };

await Promise.all([
  build({
    ...common,
    entryPoints: { main: 'electron/main.ts' },
    outdir: 'dist/electron',
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
    // The core finds files beside itself through import.meta.url (the native addons), which CommonJS lacks.
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': 'importMetaUrl' },
  }),
  build({
    ...common,
    entryPoints: { preload: 'electron/preload.ts' },
    outdir: 'dist/electron',
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: { headless: 'electron/headless/main.ts', 'net-helper': 'electron/net-helper.ts' },
    outdir: 'dist/electron',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: { js: esmRequire },
  }),
  build({
    ...common,
    entryPoints: { cli: 'electron/cli/main.ts' },
    outdir: 'dist/electron',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    banner: { js: `#!/usr/bin/env node\n${esmRequire}` },
  }),
]);
