#!/usr/bin/env node
// Assembles the codec's WebAssembly kernels from their hand-written source
// (src-main/core/codec/kernels/kernels.wat) with the npm package wabt: no
// prebuilt binary is downloaded or committed.
//   node scripts/build-kernels.mjs [out.wasm]     (default out/main/kernels.wasm)
// `npm run build` runs assembleKernels() through a plugin in
// electron.vite.config.ts, so the file lands next to the main-process bundle
// whatever electron-vite command built it; the loader
// (src-main/core/codec/kernels/wasm.ts) looks for it there.
// Tests and the bench run the TypeScript sources: the loader assembles the
// module itself, cached in node_modules/.cache (cachedKernelsPath), and vitest
// runs setup() below as its globalSetup so parallel test processes find it ready.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const KERNELS_WAT = path.join(repo, 'src-main', 'core', 'codec', 'kernels', 'kernels.wat');

/** The assembled module's bytes. */
export async function assembleKernels(watPath = KERNELS_WAT) {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  let mod;
  try {
    mod = wabt.parseWat(path.basename(watPath), fs.readFileSync(watPath, 'utf8'), { simd: true });
  } catch (e) {
    // Rethrown from here: node would otherwise print wabt's one-line, megabyte-long source as the throw site.
    throw new Error(`${path.relative(repo, watPath)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    mod.resolveNames();
    mod.validate();
    return Uint8Array.from(mod.toBinary({ log: false }).buffer);
  } finally {
    mod.destroy();
  }
}

/**
 * Assembles into `out`, through a temporary file and a rename so a concurrent reader never sees half a module.
 * @param {string} out
 */
export async function writeKernels(out) {
  const bytes = await assembleKernels();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, out);
  return bytes.length;
}

/**
 * Where the TypeScript sources find the module (src-main/core/codec/kernels/wasm.ts
 * computes the same name): node_modules/.cache, under the hash of kernels.wat.
 */
export function cachedKernelsPath() {
  const hash = createHash('sha256').update(fs.readFileSync(KERNELS_WAT)).digest('hex').slice(0, 16);
  return path.join(repo, 'node_modules', '.cache', 'weightline', `kernels-${hash}.wasm`);
}

/** vitest globalSetup: assemble once before the test processes start, rather than in each. */
export async function setup() {
  const cached = cachedKernelsPath();
  if (!fs.existsSync(cached)) await writeKernels(cached);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(repo, 'out', 'main', 'kernels.wasm'));
  const size = await writeKernels(out);
  console.log(`kernels: ${path.relative(process.cwd(), out)} (${size} bytes)`);
}
