#!/usr/bin/env node
// Measures what Weightline stores for each DELTA commit of a checkpoint
// sequence against `xdelta3 -e -s previous current` and
// `zstd --patch-from=previous current` on the same files.
//   node scripts/compare-deltas.mjs DIR   (DIR holds ckpt-0001.* ... in order; needs a build)

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(process.argv[2] ?? '');
const cli = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'bin', 'weightline.mjs');
const files = fs.readdirSync(dir).filter((f) => /^ckpt-\d+\./.test(f)).sort();
if (files.length < 2) throw new Error(`expected at least two ckpt-NNNN files in ${dir}`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-compare-'));
const model = path.join(work, `model${path.extname(files[0])}`);
const wl = (...a) => execFileSync(process.execPath, [cli, ...a], { cwd: work, encoding: 'utf8' });
const sizeOf = (cmd, args) => execFileSync(cmd, args, { maxBuffer: 1 << 30 }).length;

wl('init');
const rows = [];
let totals = { bytes: 0, wl: 0, xdelta: 0, zstd: 0 };
for (let i = 0; i < files.length; i++) {
  fs.copyFileSync(path.join(dir, files[i]), model);
  const c = JSON.parse(wl('commit', path.basename(model), '-m', files[i], '--json'));
  if (i === 0) continue;
  const prev = path.join(dir, files[i - 1]), cur = path.join(dir, files[i]);
  const xd = sizeOf('xdelta3', ['-e', '-c', '-s', prev, cur]);
  const zs = sizeOf('zstd', ['-q', '-c', `--patch-from=${prev}`, cur, '--long=31']);
  rows.push({ file: files[i], type: c.type, bytes: c.logicalBytes, wl: c.deltaBytes, xdelta: xd, zstd: zs });
  totals = { bytes: totals.bytes + c.logicalBytes, wl: totals.wl + c.deltaBytes, xdelta: totals.xdelta + xd, zstd: totals.zstd + zs };
}
const mb = (n) => (n / 1e6).toFixed(2);
console.log(`| checkpoint | size MB | Weightline delta MB | xdelta3 MB | zstd --patch-from MB |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const r of rows) console.log(`| ${r.file} (${r.type}) | ${mb(r.bytes)} | ${mb(r.wl)} | ${mb(r.xdelta)} | ${mb(r.zstd)} |`);
console.log(`| **all ${rows.length} deltas** | ${mb(totals.bytes)} | **${mb(totals.wl)}** | ${mb(totals.xdelta)} | ${mb(totals.zstd)} |`);
console.log(`Weightline / xdelta3 = ${(totals.wl / totals.xdelta).toFixed(3)}, Weightline / zstd = ${(totals.wl / totals.zstd).toFixed(3)}`);
fs.rmSync(work, { recursive: true, force: true });
