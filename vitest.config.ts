import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Child processes rather than worker threads: zstd-napi is a native addon.
    pool: 'forks',
    reporters: ['default'],
  },
});
