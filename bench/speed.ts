// npm run bench -- --only=speed: issue 22's targets side by side, in one run.
// Data: real checkpoints (a small CNN trained with AdamW by
// test/fixtures/make_finetune_sequence.py under Debian's python with torch),
// tiled to ~443 MB: every tensor repeated K times under suffixed names, the
// same K for every version, so the XOR statistics between two versions stay
// those of real training. Measured against the built CLI (bin/weightline.mjs
// → out/), so it times whatever tree it runs in. Every timed figure is 3
// repeats (min and median) with the tool a user would compare (zstd -1 -T0,
// xdelta3, cp, sha256sum) run in the same minute, the ratio, the issue's
// target, and this machine's limit computed from kernels measured in the same
// run (bench/limit.ts). Writes bench/RESULTS-speed.md.
//   --quick            ~100 MB files, for a smoke run
//   --write-baseline   store the size table as bench/speed-baseline.json
//   --keep-data        keep the tiled files in the data folder
//   WEIGHTLINE_BENCH_XDELTA_CAP_S=N   longest xdelta3 run (default 600, --quick 60); a stopped run gives a lower bound
//   WEIGHTLINE_BENCH_SPEED_DATA=dir   cache of the torch sequences (default /tmp/bench-speed-data)

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { longSequences, shortSequences } from './held-out';
import { generateSequence } from './generate';
import { measureKernels } from './kernels';
import { commitLimit, minMedian, packedLimit, restoreLimit, type KernelNs, type Limit } from './limit';

export interface SpeedBenchOptions {
  readonly repo: string;
  readonly scratch: string;
  readonly quick: boolean;
  readonly writeBaseline: boolean;
  readonly keepData: boolean;
}

const MB = 1e6;
const REPS = 3;
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const s2 = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');

interface Run { ms: number; cpuMs: number; rssMb: number; stdout: string }

/** One process, timed: wall clock here, CPU and peak RSS by /usr/bin/time (its -o file, so stderr stays the command's). */
function run(cmd: string, args: string[], cwd: string, timeFile: string): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [u, s, m] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (u! + s!) * 1000, rssMb: m! / 1024, stdout: r.stdout };
}

const load = (): string => /load average: (.*)$/.exec(execFileSync('uptime', { encoding: 'utf8' }).trim())?.[1] ?? '?';

/** A safetensors file whose tensors are `src`'s repeated K times (names suffixed .tileK) so it is about `target` bytes. */
export function tile(src: string, dst: string, target: number): void {
  const buf = fs.readFileSync(src);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = buf.subarray(8 + n);
  const k = Math.max(1, Math.round(target / data.length));
  const out: Record<string, unknown> = {};
  for (let t = 0; t < k; t++) {
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      out[`${name}.tile${t}`] = { ...info, data_offsets: [info.data_offsets[0] + t * data.length, info.data_offsets[1] + t * data.length] };
    }
  }
  if (header.__metadata__) out.__metadata__ = header.__metadata__;
  let json = JSON.stringify(out);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data starts 8-aligned, as torch writes it
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${dst}.tiling`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, len); fs.writeSync(fd, json);
    for (let t = 0; t < k; t++) fs.writeSync(fd, data);
  } finally { fs.closeSync(fd); }
  fs.renameSync(tmp, dst);
}

/** The real training sequence (cached in `dataRoot`), or null without torch. */
function torchSequence(repo: string, dataRoot: string, n: number, frozen: boolean): string[] | null {
  const dir = path.join(dataRoot, `torch-${frozen ? 'frozen' : 'dense'}-w2-n${n}`);
  const files = (): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^ckpt-\d+\.safetensors$/.test(f)).sort().map((f) => path.join(dir, f)) : []);
  if (files().length < n) {
    console.log(`  making ${n} real checkpoints (torch) in ${dir}`);
    const script = path.join(repo, 'test', 'fixtures', 'make_finetune_sequence.py');
    const p = spawnSync('/usr/bin/python3', [script, dir, String(n), 'safetensors', '--width', '2', ...(frozen ? ['--frozen-backbone'] : [])], { encoding: 'utf8' });
    if (p.status !== 0) { console.log(`  torch unavailable: ${(p.stderr ?? '').split('\n').filter(Boolean).pop() ?? p.error?.message}`); return null; }
  }
  return files().slice(0, n);
}

interface Source { files: string[]; note: string }

/** Small versions to tile: the real torch sequence, else bench/generate.ts's synthetic one (noted). */
function sources(repo: string, dataRoot: string, n: number, frozen: boolean): Source {
  const t = torchSequence(repo, dataRoot, n, frozen);
  if (t) return { files: t, note: `real checkpoints: SmallCNN width 2 (18.3 MB f32) trained with AdamW by test/fixtures/make_finetune_sequence.py${frozen ? ' --frozen-backbone' : ''}` };
  const dir = path.join(dataRoot, `gen-${frozen ? 'frozen' : 'dense'}-n${n}`);
  const files = generateSequence(dir, { name: 'speed', bytes: 18 * MB, versions: n, dtype: 'F32', seed: 7, ...(frozen ? { trainLastLayers: 1 } : {}) });
  return { files, note: `**torch missing: synthetic checkpoints from bench/generate.ts${frozen ? ' (trainLastLayers 1)' : ''}**` };
}

interface Fig { min: number; median: number; all: number[] }
const fig = (xs: number[]): Fig => ({ ...minMedian(xs), all: xs });

export async function benchSpeed(o: SpeedBenchOptions): Promise<string> {
  const cli = path.join(o.repo, 'bin', 'weightline.mjs');
  const dataRoot = process.env.WEIGHTLINE_BENCH_SPEED_DATA ?? '/tmp/bench-speed-data';
  fs.mkdirSync(dataRoot, { recursive: true });
  const target = (o.quick ? 100 : 443) * 1024 * 1024; // the issue's 443 MB pairs, as the helpers' generate.ts recipe sizes them
  const timeFile = path.join(o.scratch, 'time.txt');
  const rss = new Map<string, number>();
  const wl = (cwd: string, ...args: string[]): Run => {
    const r = run(process.execPath, [cli, ...args], cwd, timeFile);
    rss.set(args[0]!, Math.max(rss.get(args[0]!) ?? 0, r.rssMb));
    return r;
  };
  const tool = (cmd: string, ...args: string[]): Run => run(cmd, args, o.scratch, timeFile);
  const out: string[] = [];
  const loads: string[] = [];
  const group = (name: string): void => { const l = load(); loads.push(`${name}: ${l}`); console.log(`\n== ${name} (load ${l})`); };
  const tiledDir = path.join(dataRoot, `tiled-${o.quick ? 100 : 443}`);
  fs.mkdirSync(tiledDir, { recursive: true });
  const tiled = (src: string, tag: string): string => {
    const dst = path.join(tiledDir, `${tag}-${path.basename(src)}`);
    if (!fs.existsSync(dst)) tile(src, dst, target);
    return dst;
  };

  // ---- the machine's kernels
  group('kernels');
  const dense = sources(o.repo, dataRoot, 19, false);
  const frozen = sources(o.repo, dataRoot, 2, true);
  const kDir = path.join(o.scratch, 'kernels');
  fs.mkdirSync(kDir, { recursive: true });
  const kOld = path.join(kDir, 'a.safetensors'), kNew = path.join(kDir, 'b.safetensors');
  tile(dense.files[0]!, kOld, (o.quick ? 32 : 64) * MB); tile(dense.files[1]!, kNew, (o.quick ? 32 : 64) * MB);
  const km = measureKernels(kOld, kNew, kDir, os.cpus().length);
  const row = (prefix: string): number => {
    const r = km.rows.filter((x) => x.kernel.startsWith(prefix) && Number.isFinite(x.mbs));
    if (!r.length) throw new Error(`bench/kernels.ts has no row "${prefix}"`);
    return 1e3 / Math.max(...r.map((x) => x.mbs));
  };
  const io = measureIo(path.join(o.scratch, 'io'), o.quick ? 64 : 256, timeFile);
  const kn: KernelNs = {
    // A store fsyncs every object it writes, and writeback runs in kernel
    // threads that no process's CPU time shows: a written byte costs its
    // flush (wall, fsync included), not the 0.15 ns of copying it into a page.
    read: io.read, write: io.writeFsync, writeDirect: io.directWall,
    sha256: row('sha256'), xorPlanesFigures: row('XOR + planes + figures, F32'),
    zstdPlane3: row('zstd level 1, sign/exponent'), zstdPlane2: row('zstd level 1, mantissa'),
    unzstdPlane3: row('zstd decompress, sign/exponent'), unzstdPlane2: row('zstd decompress, mantissa'),
    joinXor: row('plane join + XOR, F32'),
  };
  const cores = os.cpus().length;
  fs.rmSync(kDir, { recursive: true, force: true });

  // ---- DELTA commits of the two pairs, the unchanged commit
  interface PairResult {
    name: string; bytes: number; deltaBytes: number; commit: Fig; commitCpu: Fig; zstd: Fig; cp: Fig; xdelta: number; xdeltaCapped: boolean; first: Fig;
    resaved: Fig; resavedCpu: Fig; sha: Fig; untouched: number;
  }
  const pairs: PairResult[] = [];
  for (const [name, src] of [['dense fp32 pair', dense], ['frozen-backbone pair', frozen]] as const) {
    group(`DELTA commit, ${name}`);
    const tag = src === dense ? 'dense' : 'frozen';
    const base = tiled(src.files[0]!, tag), neu = tiled(src.files[1]!, tag);
    const bytes = fs.statSync(neu).size;
    const root = path.join(o.scratch, 'pair-store');
    const file = path.join(root, 'model.safetensors');
    const r: PairResult = { name, bytes, deltaBytes: 0, commit: fig([]), commitCpu: fig([]), zstd: fig([]), cp: fig([]), xdelta: NaN, xdeltaCapped: false, first: fig([]), resaved: fig([]), resavedCpu: fig([]), sha: fig([]), untouched: NaN };
    const commits: number[] = [], cpus: number[] = [], zs: number[] = [], cps: number[] = [], firsts: number[] = [], resaved: number[] = [], resavedCpus: number[] = [], shas: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      // A store that wrote its base itself, as a user's has: a copied store
      // (cp -a) gives the base object a new inode and ctime, so the commit
      // would hash all of it again before diffing (measured: ~0.5 s of 3.4).
      fs.rmSync(root, { recursive: true, force: true });
      fs.mkdirSync(root, { recursive: true });
      wl(root, 'init');
      fs.copyFileSync(base, file);
      firsts.push(wl(root, 'commit', 'model.safetensors', '-m', 'base').ms);
      fs.copyFileSync(neu, file); // warm in the page cache, as a trainer that just saved it leaves it
      const c = wl(root, 'commit', 'model.safetensors', '-m', 'new', '--json');
      commits.push(c.ms); cpus.push(c.cpuMs);
      zs.push(tool('zstd', '-1', '-T0', '-q', '-f', file, '-o', path.join(o.scratch, 'side.zst')).ms);
      cps.push(tool('cp', file, path.join(o.scratch, 'side.copy')).ms);
      if (rep === 0) {
        r.deltaBytes = (JSON.parse(wl(root, 'log', '--json').stdout) as Array<{ deltaBytes: number }>)[0]!.deltaBytes;
        // The stat cache distrusts a file modified within 2 s of being recorded (git's racy-entry rule).
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2100);
        r.untouched = wl(root, 'commit', 'model.safetensors', '-m', 'untouched').ms;
      }
      fs.copyFileSync(neu, file); // the same bytes saved again: a new mtime, so the commit must hash them
      const again = wl(root, 'commit', 'model.safetensors', '-m', 'same bytes again');
      resaved.push(again.ms); resavedCpus.push(again.cpuMs);
      shas.push(tool('sha256sum', file).ms);
      console.log(`  rep ${rep + 1}: commit ${s2(commits[rep]!)} s (cpu ${s2(cpus[rep]!)} s), zstd -1 -T0 ${s2(zs[rep]!)} s, cp ${s2(cps[rep]!)} s; same bytes again ${s2(resaved[rep]!)} s (cpu ${s2(resavedCpus[rep]!)} s), sha256sum ${s2(shas[rep]!)} s`);
    }
    // xdelta3 runs once, and no longer than it takes to prove the ≥ 30× target (31 × the commit's median, at most 10 min, 1 with --quick):
    // on a loaded machine it can take many minutes, and a killed run still gives a lower bound.
    const capS = Number(process.env.WEIGHTLINE_BENCH_XDELTA_CAP_S ?? (o.quick ? 60 : 600));
    const cap = Math.round(Math.min(31 * minMedian(commits).median, capS * 1000));
    const t0 = performance.now();
    const xr = spawnSync('xdelta3', ['-e', '-f', '-s', base, neu, path.join(o.scratch, 'side.vcdiff')], { stdio: 'ignore', timeout: cap });
    r.xdelta = performance.now() - t0;
    r.xdeltaCapped = xr.status !== 0;
    console.log(`  xdelta3 -e -s ${r.xdeltaCapped ? '> ' : ''}${s2(r.xdelta)} s`);
    for (const f of ['side.zst', 'side.copy', 'side.vcdiff']) fs.rmSync(path.join(o.scratch, f), { force: true });
    Object.assign(r, { commit: fig(commits), commitCpu: fig(cpus), zstd: fig(zs), cp: fig(cps), first: fig(firsts), resaved: fig(resaved), resavedCpu: fig(resavedCpus), sha: fig(shas) });
    pairs.push(r);
    fs.rmSync(root, { recursive: true, force: true });
  }
  group('DELTA commits done');
  const denseRatio = pairs[0]!.deltaBytes / pairs[0]!.bytes;
  const cLimit = commitLimit(kn, denseRatio, cores), cLimitDirect = commitLimit(kn, denseRatio, cores, true);

  // ---- restore along a chain
  group('chain of 19 versions (keepFullLatest 1, cleanup)');
  const root = path.join(o.scratch, 'chain-store');
  fs.mkdirSync(root, { recursive: true });
  wl(root, 'init');
  wl(root, 'config', 'keepFullLatest', '1');
  // The default maxRouteRead (4 model sizes) starts a CHECKPOINT after ~5 dense deltas; the +17 target needs a longer chain.
  wl(root, 'config', 'maxRouteRead', '20');
  const work = path.join(root, 'model.safetensors');
  const chainCommits: number[] = [];
  for (const [i, f] of dense.files.entries()) {
    tile(f, work, target);
    const t = wl(root, 'commit', 'model.safetensors', '-m', `v${i + 1}`);
    if (i > 0) chainCommits.push(t.ms);
  }
  const vbytes = fs.statSync(work).size;
  const cleanup = wl(root, 'cleanup', '--json');
  console.log(`  cleanup ${s2(cleanup.ms)} s`);
  type Entry = { id: string; chainLength: number; hasFull: boolean; packed?: boolean; fullBytes: number; logicalBytes: number; deltaBytes: number };
  const log = JSON.parse(wl(root, 'log', '--json').stdout) as Entry[];
  const at = (k: number): Entry | undefined => log.filter((e) => e.chainLength <= k && e.chainLength > 0).sort((a, b) => b.chainLength - a.chainLength)[0];
  const packedEntry = log.find((e) => e.packed);
  const kinds: Array<{ label: string; entry: Entry | undefined; levels: number; vs: 'cp+sha' | 'cp'; max: number }> = [
    { label: 'raw full (newest)', entry: log.find((e) => e.hasFull && !e.packed), levels: 0, vs: 'cp+sha', max: 1.5 },
    { label: 'packed CHECKPOINT', entry: packedEntry, levels: 0, vs: 'cp', max: 2 },
    ...[[1, 2.5], [6, 4], [17, 8]].map(([k, max]) => ({ label: `+${at(k!)?.chainLength ?? k} deltas`, entry: at(k!), levels: at(k!)?.chainLength ?? k!, vs: 'cp' as const, max: max! })),
  ];
  const outFile = path.join(o.scratch, 'restored.safetensors');
  const copyFile = path.join(o.scratch, 'copied.safetensors');
  interface RestoreResult { label: string; levels: number; ms: Fig; cpu: Fig; cp: Fig; sha: Fig; vs: 'cp+sha' | 'cp'; max: number; packed: boolean }
  const restores: RestoreResult[] = [];
  for (const k of kinds) {
    if (!k.entry) { console.log(`  no commit for ${k.label}`); continue; }
    group(`restore ${k.label}`);
    const ms: number[] = [], cpus: number[] = [], cps: number[] = [], shas: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      fs.rmSync(copyFile, { force: true });
      cps.push(tool('cp', work, copyFile).ms);
      fs.rmSync(outFile, { force: true });
      const t = wl(root, 'restore', k.entry.id, '--to', outFile, '--link', 'copy');
      ms.push(t.ms); cpus.push(t.cpuMs);
      shas.push(tool('sha256sum', outFile).ms);
      console.log(`  rep ${rep + 1}: restore ${s2(ms[rep]!)} s (cpu ${s2(cpus[rep]!)} s), cp ${s2(cps[rep]!)} s, sha256sum ${s2(shas[rep]!)} s`);
    }
    restores.push({ label: k.label, levels: k.levels, ms: fig(ms), cpu: fig(cpus), cp: fig(cps), sha: fig(shas), vs: k.vs, max: k.max, packed: !!k.entry.packed });
  }
  fs.rmSync(outFile, { force: true }); fs.rmSync(copyFile, { force: true });
  const chainDeltaRatio = log.filter((e) => e.deltaBytes > 0).reduce((a, e) => a + e.deltaBytes / e.logicalBytes, 0) / Math.max(1, log.filter((e) => e.deltaBytes > 0).length);
  const packedRatio = packedEntry ? packedEntry.fullBytes / packedEntry.logicalBytes : 1;
  fs.rmSync(root, { recursive: true, force: true });

  // ---- CLI start
  group('CLI start');
  const starts: number[] = [], nodes: number[] = [];
  for (let i = 0; i < 10; i++) {
    nodes.push(tool(process.execPath, '-e', '0').ms);
    const t = wl(o.scratch, '--version'); starts.push(t.ms);
  }
  const start = fig(starts), nodeStart = fig(nodes);

  // ---- size guard
  group('size table (held-out sequences)');
  const sizes = sizeTable(o, dense.files, wl);
  const baselineFile = path.join(o.repo, 'bench', 'speed-baseline.json');
  const baseline = fs.existsSync(baselineFile) ? JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as { commit: string; date: string; sequences: Record<string, number> } : null;
  if (o.writeBaseline) {
    const commit = productCommit(o.repo);
    const seq = { ...(baseline?.sequences ?? {}), ...Object.fromEntries(sizes.map((s) => [s.key, s.deltaBytes])) };
    fs.writeFileSync(baselineFile, JSON.stringify({ commit, date: new Date().toISOString().slice(0, 10), note: 'delta bytes per held-out sequence (sum of deltaBytes over `log --json`), bench/speed.ts', sequences: seq }, null, 2) + '\n');
    console.log(`wrote ${baselineFile}`);
  }
  group('end');
  if (!o.keepData) fs.rmSync(tiledDir, { recursive: true, force: true });

  // ---- the report
  const mbs = (bytes: number, ms: number): number => bytes / MB / (ms / 1000);
  const met = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const mm = (f: Fig, unit = 's'): string => (unit === 's' ? `${s2(f.min)} / ${s2(f.median)} s` : `${f1(f.min)} / ${f1(f.median)} ms`);
  const targets: string[] = ['| target | Weightline (min / median) | side by side (min / median) | ratio (median; min) | target | | limit on this machine |', '|---|---:|---:|---:|---:|---|---|'];
  for (const p of pairs) {
    const r = p.commit.median / p.zstd.median, rMin = p.commit.min / p.zstd.min;
    const x = p.xdelta / p.commit.median;
    const m = mbs(p.bytes, p.commit.median), mMax = mbs(p.bytes, p.commit.min);
    const limitTime = (l: Limit): string => `${s2((p.bytes / MB / l.mbs) * 1000)} s (${f1(l.mbs)} MB/s)`;
    targets.push(`| DELTA commit, ${p.name} (${f1(p.bytes / MB)} MB) vs \`zstd -1 -T0\` of the new file | ${mm(p.commit)} | ${mm(p.zstd)} | ${f2(r)}× ; ${f2(rMin)}× | ≤ 1.5× | ${met(r <= 1.5)} | ${limitTime(cLimit)} page cache; ${limitTime(cLimitDirect)} O_DIRECT |`);
    targets.push(`| … vs \`xdelta3 -e -s\` (once${p.xdeltaCapped ? '; stopped at the cap' : ''}) | ${mm(p.commit)} | ${p.xdeltaCapped ? '> ' : ''}${s2(p.xdelta)} s | ${p.xdeltaCapped ? '≥ ' : ''}${f1(x)}× faster | ≥ 30× | ${met(x >= 30)} | |`);
    targets.push(`| … MB/s | ${f1(mMax)} / ${f1(m)} MB/s | \`cp\` ${f1(mbs(p.bytes, p.cp.min))} / ${f1(mbs(p.bytes, p.cp.median))} MB/s | | ≥ 300 MB/s | ${met(m >= 300)} | ${f1(cLimit.mbs)} MB/s |`);
    targets.push(`| … share of the limit (page cache) | ${f1((100 * m) / cLimit.mbs)}% | | | ≥ 80% | ${met(m >= 0.8 * cLimit.mbs)} | ${f1(cLimit.mbs)} MB/s |`);
    const u = p.resaved.median / p.sha.median;
    targets.push(`| unchanged commit (same bytes saved again), ${p.name}, vs \`sha256sum\` | ${mm(p.resaved)} | ${mm(p.sha)} | ${f2(u)}× ; ${f2(p.resaved.min / p.sha.min)}× | ≤ 1.2× (sha256 speed) | ${met(u <= 1.2)} | ${f1(1e3 / kn.sha256)} MB/s (sha256, 1 core) |`);
  }
  const restLimit = (r: RestoreResult): Limit => (r.packed ? packedLimit(kn, packedRatio, cores) : restoreLimit(kn, chainDeltaRatio, r.levels, cores));
  for (const r of restores) {
    const side = r.vs === 'cp+sha' ? fig(r.cp.all.map((c, i) => c + r.sha.all[i]!)) : r.cp;
    const ratio = r.ms.median / side.median, rMin = r.ms.min / side.min;
    const l = restLimit(r);
    targets.push(`| restore ${r.label} (${f1(vbytes / MB)} MB) vs ${r.vs === 'cp+sha' ? '`cp` + `sha256sum`' : '`cp`'} | ${mm(r.ms)} | ${mm(side)} | ${f2(ratio)}× ; ${f2(rMin)}× | ≤ ${r.max}× | ${met(ratio <= r.max)} | ${s2((vbytes / MB / l.mbs) * 1000)} s (${f1(l.mbs)} MB/s) |`);
  }
  const base = restores.find((r) => r.packed);
  const perLevel = restores.filter((r) => r.levels > 0 && !r.packed).map((r) => ({ k: r.levels, ms: base ? (r.ms.median - base.ms.median) / r.levels : r.ms.median / r.levels }));
  if (perLevel.length) {
    const ms = perLevel.map((x) => x.ms);
    const spread = Math.max(...ms) / Math.min(...ms);
    targets.push(`| ms per chain level ((restore +k − restore packed) / k, medians) | ${perLevel.map((x) => `k=${x.k}: ${f1(x.ms)}`).join('; ')} | | max/min ${f2(spread)} | constant (≤ 1.5) | ${met(spread <= 1.5)} | ${f1((vbytes / MB / ((cores * 1e3) / (chainDeltaRatio * kn.read + 0.25 * (kn.unzstdPlane2 + kn.unzstdPlane3) + kn.joinXor))) * 1000)} ms per level |`);
  }
  const worstRss = Math.max(...rss.values());
  targets.push(`| peak RSS, every Weightline command | ${f1(worstRss)} MB (${[...rss.entries()].map(([c, m]) => `${c} ${f1(m)}`).join(', ')}) | | | < 300 MB | ${met(worstRss < 300)} | |`);
  targets.push(`| CLI start to first output (\`--version\`, 10 runs) | ${mm(start, 'ms')} | \`node -e 0\` ${mm(nodeStart, 'ms')} | ${f2(start.median / nodeStart.median)}× | < 150 ms | ${met(start.median < 150)} | ${f1(nodeStart.median)} ms (node itself) |`);
  const regressions = sizes.filter((s) => baseline?.sequences[s.key] !== undefined).map((s) => ({ ...s, base: baseline!.sequences[s.key]!, change: s.deltaBytes / baseline!.sequences[s.key]! - 1 }));
  const worst = regressions.reduce((a, b) => (b.change > a.change ? b : a), { key: '–', change: -Infinity } as { key: string; change: number });
  if (regressions.length) targets.push(`| no size regression beyond 0.5% (delta bytes, ${regressions.length} held-out sequences, vs bench/speed-baseline.json at ${baseline!.commit}) | worst ${(worst.change * 100).toFixed(2)}% (${worst.key}) | | | ≤ +0.5% | ${met(worst.change <= 0.005)} | |`);
  targets.push('| clone and lazy restore ≥ 0.8× the plain SDK | see [RESULTS-remote-pull.md](RESULTS-remote-pull.md) (`node --import tsx bench/remote-pull.ts`) | | | ≥ 0.8× | | |');

  out.push(`Data: ${dense.note}; frozen-backbone pair: ${frozen.note}. Each file tiled to ${f1(vbytes / MB)} MB: every tensor repeated ${Math.round(vbytes / fs.statSync(dense.files[0]!).size)}× under suffixed names, the same for every version, so the XOR statistics stay those of real training (delta ${(denseRatio * 100).toFixed(1)}% of the bytes for the dense pair, ${((pairs[1]!.deltaBytes / pairs[1]!.bytes) * 100).toFixed(1)}% frozen). ${cores} cores, ${f1(os.totalmem() / 1e9)} GB RAM, node ${process.version}. Times are wall clock of the whole process (start included), ${REPS} repeats, each next to its side-by-side tool in the same minute; files warm in the page cache (as a trainer that just saved them leaves them).`, '');
  out.push('Load (`uptime`, 1/5/15 min) at the start of each group: ' + loads.join('; ') + '.', '');
  out.push('## Targets (issue 22)', '', ...targets, '');
  out.push('## Detail', '');
  out.push('| | figure |', '|---|---|');
  for (const p of pairs) {
    out.push(`| ${p.name}: first commit (CHECKPOINT, median of 3) | ${s2(p.first.median)} s (${f1(mbs(p.bytes, p.first.median))} MB/s) |`);
    out.push(`| ${p.name}: DELTA commit CPU (user + sys) | ${mm(p.commitCpu)} (${f2(p.commitCpu.median / p.commit.median)} cores busy) |`);
    out.push(`| ${p.name}: same-bytes commit CPU (user + sys) | ${mm(p.resavedCpu)} |`);
    out.push(`| ${p.name}: delta bytes | ${f1(p.deltaBytes / MB)} MB (${((p.deltaBytes / p.bytes) * 100).toFixed(1)}%) |`);
    out.push(`| ${p.name}: commit of the untouched file (stat cache) | ${s2(p.untouched)} s |`);
  }
  for (const r of restores) out.push(`| restore ${r.label}: CPU (user + sys) | ${mm(r.cpu)} (${f2(r.cpu.median / r.ms.median)} cores busy) |`);
  const cc = fig(chainCommits);
  out.push(`| chain: ${chainCommits.length} DELTA commits of consecutive real checkpoints | ${mm(cc)} (${f1(mbs(vbytes, cc.median))} MB/s median) |`);
  out.push(`| chain: cleanup (keepFullLatest 1) | ${s2(cleanup.ms)} s; packed CHECKPOINT ${(packedRatio * 100).toFixed(1)}% of its bytes |`, '');

  out.push('## The limit: this machine\'s kernels, measured in this run', '');
  out.push('| kernel (1 core) | ns/byte | MB/s |', '|---|---:|---:|');
  const kr = (name: string, ns: number | null): string => `| ${name} | ${ns === null ? '–' : f2(ns)} | ${ns === null ? '–' : f1(1e3 / ns)} |`;
  out.push(kr('read(2) of page-cache pages', kn.read), kr('write(2) of new page-cache pages (fresh file, no fsync)', kn.write), kr('… with fsync included (wall)', io.writeFsync));
  out.push(kr('`dd oflag=direct` write, CPU (user + sys)', io.directCpu), kr('`dd oflag=direct` write, wall', io.directWall), kr('`dd` page-cache write, CPU (user + sys)', io.ddCpu));
  out.push(kr('sha256 (node:crypto)', kn.sha256), kr('XOR + planes + figures, f32 (fastest path)', kn.xorPlanesFigures), kr('zstd -1, plane 3 (sign/exponent)', kn.zstdPlane3), kr('zstd -1, plane 2', kn.zstdPlane2));
  out.push(kr('unzstd, plane 3', kn.unzstdPlane3), kr('unzstd, plane 2', kn.unzstdPlane2), kr('plane join + XOR, f32 (fastest path)', kn.joinXor), '');
  const workList = (title: string, l: Limit): void => {
    out.push(`**${title}**: ${f2(l.nsPerByte)} ns/byte ⇒ **${f1(l.mbs)} MB/s** on ${cores} cores (perfect overlap).`, '', '| work per byte | ns/byte |', '|---|---:|', ...l.items.map((i) => `| ${i.item} | ${f2(i.ns)} |`), '');
  };
  workList('DELTA commit, dense f32, page-cache writes', cLimit);
  workList('DELTA commit, dense f32, O_DIRECT writes', cLimitDirect);
  for (const r of restores) workList(`restore ${r.label}`, restLimit(r));

  out.push('## Size table (held-out sequences: delta bytes, sum of `deltaBytes` in `log --json`)', '');
  out.push('| sequence | versions | delta bytes | baseline | change |', '|---|---:|---:|---:|---:|');
  for (const s of sizes) {
    const b = baseline?.sequences[s.key];
    out.push(`| ${s.key} | ${s.versions} | ${s.deltaBytes} | ${b ?? '–'} | ${b ? `${((s.deltaBytes / b - 1) * 100).toFixed(2)}%` : '–'} |`);
  }
  out.push('', baseline ? `Baseline: bench/speed-baseline.json, made at ${baseline.commit} on ${baseline.date}.` : 'No baseline yet (`--write-baseline` makes one).', '');
  return out.join('\n');
}

/** The newest commit that changed anything but the bench: the code these figures measure. */
export function productCommit(repo: string): string {
  return execFileSync('git', ['log', '-1', '--format=%h', '--', '.', ':!bench', ':!test/bench', ':!.gitignore'], { cwd: repo, encoding: 'utf8' }).trim();
}

interface IoKernels { read: number; write: number; writeFsync: number; directCpu: number | null; directWall: number | null; ddCpu: number | null }

/** Page-cache read and write of new pages (node, 4 MiB writes), and dd's page-cache and O_DIRECT writes: ns per byte. */
function measureIo(dir: string, mb: number, timeFile: string): IoKernels {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'probe');
  const chunk = Buffer.allocUnsafeSlow(4 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const n = Math.ceil((mb * MB) / chunk.length), bytes = n * chunk.length;
  const best = (f: () => number): number => Math.min(f(), f(), f());
  const writeOnce = (sync: boolean): number => {
    fs.rmSync(file, { force: true }); // new pages each time
    const t0 = performance.now();
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < n; i++) fs.writeSync(fd, chunk);
    if (sync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    return ((performance.now() - t0) * 1e6) / bytes;
  };
  const write = best(() => writeOnce(false));
  const writeFsync = best(() => writeOnce(true));
  writeOnce(false);
  const read = best(() => {
    const fd = fs.openSync(file, 'r');
    const t0 = performance.now();
    while (fs.readSync(fd, chunk, 0, chunk.length, null) > 0) { /* read all */ }
    const ns = ((performance.now() - t0) * 1e6) / bytes;
    fs.closeSync(fd);
    return ns;
  });
  const dd = (direct: boolean): { cpu: number; wall: number } | null => {
    fs.rmSync(file, { force: true });
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'dd', 'if=/dev/zero', `of=${file}`, 'bs=4M', `count=${n}`, ...(direct ? ['oflag=direct'] : [])], { stdio: 'ignore' });
    const wall = performance.now() - t0;
    if (r.status !== 0) return null;
    const [u, s] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { cpu: ((u! + s!) * 1e9) / bytes, wall: (wall * 1e6) / bytes };
  };
  const directs = [dd(true), dd(true), dd(true)].filter((x) => x !== null);
  const pages = [dd(false), dd(false), dd(false)].filter((x) => x !== null);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    read, write, writeFsync,
    directCpu: directs.length ? Math.min(...directs.map((d) => d.cpu)) : null,
    directWall: directs.length ? Math.min(...directs.map((d) => d.wall)) : null,
    ddCpu: pages.length ? Math.min(...pages.map((d) => d.cpu)) : null,
  };
}

interface SizeRow { key: string; versions: number; deltaBytes: number }

/**
 * Delta bytes of held-out sequences: bench/run.ts's sequence specs (small
 * sizes) and the real torch sequence untiled. Deterministic inputs, so a
 * change in bytes is the codec's.
 */
function sizeTable(o: SpeedBenchOptions, torchFiles: string[], wl: (cwd: string, ...args: string[]) => Run): SizeRow[] {
  const size = 16 * MB, n = 5, longN = 10, longSize = 8 * MB;
  const specs = [...shortSequences(size, n), ...longSequences(longSize, longN)];
  const rows: SizeRow[] = [];
  const measure = (key: string, versions: string[]): void => {
    const root = path.join(o.scratch, 'size-store');
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    wl(root, 'init');
    const dirs = fs.statSync(versions[0]!).isDirectory();
    const target = path.join(root, dirs ? 'model' : 'model.safetensors');
    for (const v of versions) {
      fs.rmSync(target, { recursive: true, force: true });
      if (dirs) fs.cpSync(v, target, { recursive: true }); else fs.copyFileSync(v, target);
      wl(root, 'commit', path.basename(target), '-m', path.basename(v));
    }
    const log = JSON.parse(wl(root, 'log', '--json').stdout) as Array<{ deltaBytes: number }>;
    rows.push({ key, versions: versions.length, deltaBytes: log.reduce((a, e) => a + e.deltaBytes, 0) });
    console.log(`  ${key}: ${rows[rows.length - 1]!.deltaBytes} delta bytes`);
    fs.rmSync(root, { recursive: true, force: true });
  };
  for (const spec of specs) {
    const dir = path.join(o.scratch, 'size-seq');
    const versions = generateSequence(dir, spec);
    measure(`${spec.name}, ${spec.bytes / MB} MB × ${spec.versions}`, versions);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  measure(`real torch SmallCNN w2 (18.3 MB f32) × ${torchFiles.length}`, torchFiles);
  return rows;
}
