import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Assembles the wasm kernels (src-main/core/codec/kernels/kernels.wat) once, before the test processes start.
    globalSetup: ['scripts/build-kernels.mjs'],
    testTimeout: 60_000,
    // Hooks start and stop real servers (radosgw) and child processes: 10 s is too short on a loaded 2-core machine.
    hookTimeout: 60_000,
    // Child processes rather than worker threads: zstd-napi is a native addon.
    pool: 'forks',
    reporters: ['default'],
  },
});
