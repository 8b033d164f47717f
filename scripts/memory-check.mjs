#!/usr/bin/env node
// Proves that memory does not grow with model size: commits and restores a
// 4 GB safetensors file holding a 1 GB tensor with the built CLI, and fails if
// the peak RSS of any run passes 300 MB. Run by .ci/run after the build.
//   node scripts/memory-check.mjs [--gb 4] [--limit-mb 300] [--keep]

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const totalGb = opt('--gb', 4);
const limitMb = opt('--limit-mb', 300);
const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(repo, 'bin', 'weightline.mjs');
const rss = path.join(repo, 'scripts', 'report-max-rss.mjs');
const MB = 1024 * 1024;

const dir = fs.mkdtempSync(path.join(process.env.WEIGHTLINE_SCRATCH ?? os.tmpdir(), 'wl-memory-'));
const file = path.join(dir, 'model.safetensors');

/** Tensors: one of 1 GB, the rest in 256 MB pieces, up to totalGb. */
function tensors() {
  const list = [{ name: 'big.weight', bytes: 1024 * MB }];
  for (let i = 0; list.reduce((s, t) => s + t.bytes, 0) < totalGb * 1024 * MB; i++) list.push({ name: `layer.${i}.weight`, bytes: 256 * MB });
  return list;
}

/** Writes the file chunk by chunk; version 2 changes every 997th float of the big tensor a little. */
function writeModel(version) {
  const list = tensors();
  const header = {};
  let off = 0;
  for (const t of list) { header[t.name] = { dtype: 'F32', shape: [t.bytes / 4], data_offsets: [off, off + t.bytes] }; off += t.bytes; }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const fd = fs.openSync(file, 'w');
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(json.length));
  fs.writeSync(fd, len); fs.writeSync(fd, json);
  const chunk = new Float32Array(16 * MB / 4);
  let seed = 12345;
  for (const t of list) {
    for (let done = 0; done < t.bytes; done += chunk.byteLength) {
      for (let i = 0; i < chunk.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        chunk[i] = ((seed >>> 8) / 16777216 - 0.5) * 0.04;
        if (version === 2 && t.name === 'big.weight' && i % 997 === 0) chunk[i] += 1e-4;
      }
      fs.writeSync(fd, new Uint8Array(chunk.buffer));
    }
  }
  fs.closeSync(fd);
}

function sha(f) {
  const h = createHash('sha256');
  const fd = fs.openSync(f, 'r');
  const buf = Buffer.alloc(16 * MB);
  for (let n; (n = fs.readSync(fd, buf)) > 0;) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

let worst = 0;
function run(label, ...cliArgs) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', rss, cli, ...cliArgs], { cwd: dir, encoding: 'utf8' });
  const kb = Number(/max-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  if (r.status !== 0) { console.error(r.stdout, r.stderr); throw new Error(`${label} failed with exit ${r.status}`); }
  worst = Math.max(worst, kb / 1024);
  console.log(`${label.padEnd(34)} peak RSS ${(kb / 1024).toFixed(0).padStart(4)} MB   ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r.stdout;
}

try {
  console.log(`memory check: ${totalGb} GB safetensors with a 1 GB tensor, limit ${limitMb} MB peak RSS, in ${dir}`);
  writeModel(1);
  const sha1 = sha(file);
  run('init', 'init');
  run('commit v1 (CHECKPOINT)', 'commit', 'model.safetensors', '-m', 'v1', '--json');
  writeModel(2);
  const sha2 = sha(file);
  const c2 = JSON.parse(run('commit v2 (DELTA)', 'commit', 'model.safetensors', '-m', 'v2', '--json'));
  if (c2.type !== 'DELTA') throw new Error(`expected v2 to be a DELTA, got ${c2.type}`);
  run('restore v1 (full parameters)', 'restore', 'HEAD~1', '--to', path.join(dir, 'v1.safetensors'), '--link', 'copy');
  if (sha(path.join(dir, 'v1.safetensors')) !== sha1) throw new Error('restored v1 differs');
  fs.rmSync(path.join(dir, 'v1.safetensors'));
  // Drop v2's full parameters so the next restore replays its delta block by block.
  const show = JSON.parse(run('show v2', 'show', 'HEAD', '--json'));
  const obj = path.join(dir, '.weightline', 'objects', show.files[0].sha256.slice(0, 2), show.files[0].sha256.slice(2));
  fs.rmSync(obj);
  run('restore v2 (rebuilt from delta)', 'restore', 'HEAD', '--to', path.join(dir, 'v2.safetensors'));
  if (sha(path.join(dir, 'v2.safetensors')) !== sha2) throw new Error('rebuilt v2 differs');
  fs.rmSync(path.join(dir, 'v2.safetensors'));
  // The CHECKPOINT out of the hot set is packed by cleanup (byte planes +
  // zstd, decoded and hash-checked before its raw copy goes); both versions
  // then rebuild from the packed object.
  run('config keepFullLatest 1', 'config', 'keepFullLatest', '1');
  const cleaned = JSON.parse(run('cleanup (packs v1)', 'cleanup', '--json'));
  if (cleaned.packs.length !== 1) throw new Error(`expected cleanup to pack v1, got ${JSON.stringify(cleaned.packs)}`);
  const packed = cleaned.packs[0];
  console.log(`packed v1: ${(packed.rawBytes / MB).toFixed(0)} MB raw → ${(packed.packedBytes / MB).toFixed(0)} MB packed`);
  run('restore v1 (from packed)', 'restore', 'HEAD~1', '--to', path.join(dir, 'v1.safetensors'), '--link', 'copy');
  if (sha(path.join(dir, 'v1.safetensors')) !== sha1) throw new Error('v1 restored from its packed form differs');
  fs.rmSync(path.join(dir, 'v1.safetensors'));
  run('restore v2 (packed v1 + delta)', 'restore', 'HEAD', '--to', path.join(dir, 'v2.safetensors'));
  if (sha(path.join(dir, 'v2.safetensors')) !== sha2) throw new Error('v2 rebuilt from packed v1 differs');
  console.log(`delta of v2: ${(c2.deltaBytes / MB).toFixed(1)} MB for ${(c2.logicalBytes / MB).toFixed(0)} MB`);
  console.log(`worst peak RSS ${worst.toFixed(0)} MB (limit ${limitMb} MB): ${worst < limitMb ? 'ok' : 'TOO HIGH'}`);
  if (!(worst < limitMb)) process.exitCode = 1;
} finally {
  if (!args.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}
