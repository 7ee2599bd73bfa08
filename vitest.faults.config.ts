import { defineConfig } from 'vitest/config';

// The fault-injection and fuzz suite (`npm run test:faults`), kept out of the
// main run: it drives the handlers through thousands of faulted requests.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxConcurrency: 4,
    env: { NO_COLOR: '1' },
  },
});
