import { defineConfig } from 'vitest/config';

// Lab tests: network namespaces, ipmi_sim, QEMU. Need root; run one file at a time on 2 cores.
export default defineConfig({
  test: {
    include: ['e2e/**/*.lab.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
