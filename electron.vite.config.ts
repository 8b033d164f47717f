import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const root = import.meta.dirname;
const at = (p: string): string => resolve(root, p);

// The codec's wasm kernels, assembled from src-main/core/codec/kernels/kernels.wat
// (scripts/build-kernels.mjs, wabt) into out/main/kernels.wasm, where
// src-main/core/codec/kernels/wasm.ts finds them next to the bundle.
function kernelsWasm(): Plugin {
  return {
    name: 'weightline:kernels-wasm',
    async generateBundle() {
      const script = pathToFileURL(at('scripts/build-kernels.mjs')).href; // not a literal: tsc need not type the .mjs
      const { assembleKernels, KERNELS_WAT } = (await import(script)) as { assembleKernels: () => Promise<Uint8Array>; KERNELS_WAT: string };
      this.addWatchFile(KERNELS_WAT);
      this.emitFile({ type: 'asset', fileName: 'kernels.wasm', source: await assembleKernels() });
    },
  };
}

// The CSP lives in src-renderer/index.html (it must work for file:// in Electron
// and for browser mode). The dev server needs inline scripts (React Refresh
// preamble) and a websocket (HMR), so relax it for `electron-vite dev` only;
// built output keeps the strict policy byte for byte.
function devCsp(): Plugin {
  return {
    name: 'weightline:dev-csp',
    apply: 'serve',
    transformIndexHtml: {
      order: 'pre',
      handler: (html) =>
        html
          .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
          .replace("connect-src 'self'", "connect-src 'self' ws:"),
    },
  };
}

export default defineConfig({
  // Electron main process, CLI and job process: three entries, ESM (package.json "type": "module").
  // out/main/job.js is what utilityProcess.fork (app) and child_process.fork
  // (browser mode, CLI) run; src-main/jobs/job-entry.ts finds it beside the bundle.
  // Dependencies (zstd-napi, commander, zod, yauzl) stay external via the default
  // build.externalizeDeps. out/main/cli.js must never pull electron or react:
  // only src-main/electron/** may import electron.
  main: {
    plugins: [kernelsWasm()],
    build: {
      outDir: at('out/main'),
      // zod (94 ES module files) and commander are bundled: every CLI start
      // loads both, and Node 20 resolves, reads and compiles each file apart
      // (about 60 ms of a start of ~110 ms here); in one chunk they cost a few.
      externalizeDeps: { exclude: ['zod', 'commander', '@aws-sdk/client-s3', '@aws-sdk/lib-storage'] },
      rolldownOptions: {
        input: {
          index: at('src-main/electron/index.ts'),
          cli: at('src-main/cli/main.ts'),
          job: at('src-main/jobs/job-process.ts'),
          // Worker threads that encode blocks in parallel (src-main/core/codec/encode-pool.ts finds it).
          'encode-worker': at('src-main/core/codec/encode-worker.ts'),
        },
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
          // JSDoc of the bundled dependencies is dead weight at every start-up (and names
          // their old source files, e.g. import("./argument.js"), which the scaffold test reads as imports).
          comments: { legal: true, annotation: true, jsdoc: false },
        },
      },
    },
  },
  // Sandboxed preloads cannot be ES modules: build CommonJS and bundle
  // everything (a sandboxed preload can only require 'electron' and a few
  // polyfilled modules). The .cjs extension keeps Node from reading it as ESM.
  preload: {
    build: {
      outDir: at('out/preload'),
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: at('src-preload/index.ts') },
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
          chunkFileNames: 'chunks/[name]-[hash].cjs',
        },
      },
    },
  },
  renderer: {
    root: at('src-renderer'),
    plugins: [react(), devCsp()],
    build: {
      outDir: at('out/renderer'),
      // electron-vite leaves every bundle unminified by default; the renderer
      // is served to browsers too (browser mode over an SSH tunnel), so ship it small.
      minify: true,
      rolldownOptions: {
        input: { index: at('src-renderer/index.html') },
      },
    },
  },
});
