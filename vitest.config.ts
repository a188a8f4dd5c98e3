import { configDefaults, defineConfig } from 'vitest/config';

// Unit tests: pure code and loopback only, fast, no root needed.
export default defineConfig({
  test: {
    include: ['{electron,shared,renderer,scripts,e2e}/**/*.test.ts', '{electron,shared,renderer}/**/*.test.tsx'],
    // Pure helpers of the lab have unit tests beside them; the lab's own tests need root (vitest.lab.config.ts).
    exclude: [...configDefaults.exclude, '**/*.lab.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
