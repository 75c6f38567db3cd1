import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Probe tests start real servers; keep them off each other's CPU on 2-core machines.
    maxWorkers: 2,
  },
});
