import { defineConfig } from 'vitest/config';

// Unit tests: pure code and loopback only, fast, no root needed.
export default defineConfig({
  test: {
    include: ['{electron,shared,renderer,scripts}/**/*.test.ts', '{electron,shared,renderer}/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
