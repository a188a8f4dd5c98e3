import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTestSource, readImports } from './area-imports';

let root: string;

async function put(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rackboot-area-imports-'));
  await put('main.ts', "import { createCore } from './core/core';\n");
  await put(
    'core/core.ts',
    [
      "import type { Port } from '../deploy/ports';",
      "export * from '../pxe';",
      "import script from '../deploy/agent/init.sh?raw';",
      "const later = await import('./lazy');",
      "import { z } from 'zod';",
      "import { methods } from '../../shared/api';",
    ].join('\n'),
  );
  await put('core/lazy.ts', '');
  await put('deploy/ports.ts', '');
  await put('deploy/agent/init.sh', '');
  await put('pxe/index.ts', '');
  await put('deploy/deploy.test.ts', "import { core } from '../core/core';\n");
  await put('deploy/test-fixtures.ts', "import { core } from '../core/core';\n");
  await put('ipmi/testing/fake-bmc.ts', "import { core } from '../../core/core';\n");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('reading the imports of electron/', () => {
  it('follows type-only, re-export, raw-text and dynamic imports and resolves folders to their index', async () => {
    const found = await readImports(root);
    expect(found).toEqual([
      { from: 'core/core.ts', to: 'deploy/ports.ts' },
      { from: 'core/core.ts', to: 'pxe/index.ts' },
      { from: 'core/core.ts', to: 'deploy/agent/init.sh' },
      { from: 'core/core.ts', to: 'core/lazy.ts' },
      { from: 'main.ts', to: 'core/core.ts' },
    ]);
  });

  it('leaves out packages, files outside the folder, tests and test support', async () => {
    const found = await readImports(root);
    expect(found.some((fileImport) => fileImport.from.startsWith('deploy/') || fileImport.from.startsWith('ipmi/'))).toBe(false);
    expect(isTestSource('pxe/tftp/server.test.ts')).toBe(true);
    expect(isTestSource('deploy/test-fixtures.ts')).toBe(true);
    expect(isTestSource('ipmi/testing/fake-bmc.ts')).toBe(true);
    expect(isTestSource('pxe/tftp/server.ts')).toBe(false);
  });
});
