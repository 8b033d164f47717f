// npm run bench -- --only=forget: issue 21's benchmark. Two 50-checkpoint
// runs written as real safetensors files by bench/generate.ts (the statistics
// of an AdamW fine-tune): a dense fp32 run (every weight moves) and a sparse
// one (head-only: the head and the last layer train, the backbone is frozen
// bit for bit). Each checkpoint has a step (1..50, one per evaluation) and an
// eval_loss that falls with noise (seeded). Every checkpoint is committed
// with `weightline commit --step N --metric eval_loss=V`, the store is cleaned
// up as it would be in use, then the policy
//   --keep-last 3 --keep-best 3:eval_loss:min --keep-every 10
// is previewed (--dry-run) and run, with trashDays 0 so the trash is emptied
// at once (a cleanup after the forget is the writer that purges it, whichever
// writer the engine picks). Reported per run: store size before and after,
// against (a) every checkpoint as a full copy, (b) what save_total_limit 3
// plus the best checkpoint leaves (the trainer's own way), (c) the kept
// versions as full copies; time and peak RSS of the preview and of the
// forget; the preview's bytes against the run's and against what the store
// really shrank by; every kept version restored and hashed against the
// generated file. Writes bench/RESULTS-forget.md.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSequence, type SequenceSpec } from './generate';

export interface ForgetBenchOptions {
  readonly repo: string;
  readonly scratch: string;
  readonly quick: boolean;
}

const MB = 1e6;
const POLICY = ['--keep-last', '3', '--keep-best', '3:eval_loss:min', '--keep-every', '10'];

interface Timed { readonly ms: number; readonly rssMb: number; readonly stdout: string }

interface PlanJson {
  readonly commits: ReadonlyArray<{ id: string; verdict: 'keep' | 'forget'; reasons: readonly string[]; rebasedOnto?: string | null; rebasedBytes?: number }>;
  readonly forgotten: number; readonly kept: number;
  readonly bytesRemoved: number; readonly bytesAdded: number; readonly bytesFreed: number;
  readonly storeBytesBefore: number; readonly storeBytesAfter: number;
}

interface StatusJson { readonly storeBytes: number; readonly trash?: { bytes: number } }

/** A seeded, falling eval loss: 2·e^(−k/15) + 0.3 plus noise of sd 0.03 (a real run's evals are that noisy). */
function evalLosses(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const uniform = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  return Array.from({ length: n }, (_, i) => {
    const noise = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return Number((2 * Math.exp(-(i + 1) / 15) + 0.3 + 0.03 * noise).toFixed(4));
  });
}

function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Bytes of every file under p (du -sb counts directories' own blocks too; this is the files' contents). */
function treeBytes(p: string): number {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((a, f) => a + treeBytes(path.join(p, f)), 0);
}

/** What a forget's figures count: objects, packs, manifests, route records and the trash (not caches or the operations log). */
function contentBytes(storeDir: string): number {
  return ['objects', 'packs', 'commits', 'routes', 'trash'].reduce((a, d) => a + treeBytes(path.join(storeDir, d)), 0);
}

export async function benchForget(opts: ForgetBenchOptions): Promise<string> {
  const cli = path.join(opts.repo, 'bin', 'weightline.mjs');
  const rssHook = path.join(opts.repo, 'scripts', 'report-max-rss.mjs');
  const wl = (cwd: string, ...args: string[]): Timed => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', rssHook, cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`weightline ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
    return { ms, rssMb: Number(/max-rss-kb (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024, stdout: r.stdout };
  };
  const n = opts.quick ? 12 : 50;
  const bytes = (opts.quick ? 4 : 32) * MB;
  const loadStart = os.loadavg();
  const runs: Array<{ title: string; spec: SequenceSpec }> = [
    { title: 'dense fp32 fine-tune (every weight moves)', spec: { name: 'dense', bytes, versions: n, dtype: 'F32', seed: 21 } },
    { title: 'sparse, head-only fine-tune (the head and the last layer train; the backbone is frozen)', spec: { name: 'sparse', bytes, versions: n, dtype: 'F32', trainLastLayers: 1, seed: 22 } },
  ];
  const out: string[] = [];
  const targets: string[] = [];
  const bounds: string[] = [];
  for (const [runIndex, { title, spec }] of runs.entries()) {
    console.log(`\n== forget: ${title}, ${n} checkpoints`);
    const dir = fs.mkdtempSync(path.join(opts.scratch, `forget-${spec.name}-`));
    const versions = generateSequence(path.join(dir, 'run'), spec);
    const size = fs.statSync(versions[0]!).size;
    const shas = versions.map(sha256File);
    const losses = evalLosses(n, 100 + runIndex);
    const root = path.join(dir, 'store');
    fs.mkdirSync(root);
    wl(root, 'init');
    const target = path.join(root, 'model.safetensors');
    const ids: string[] = [];
    let commitMs = 0, commitRss = 0;
    for (const [k, v] of versions.entries()) {
      fs.copyFileSync(v, target);
      const t = wl(root, 'commit', 'model.safetensors', '-m', `checkpoint ${k + 1}`, '--step', String(k + 1), '--metric', `eval_loss=${losses[k]}`, '--json');
      ids.push((JSON.parse(t.stdout) as { id: string }).id);
      commitMs += t.ms; commitRss = Math.max(commitRss, t.rssMb);
      // The run's folder keeps only what the store does not: nothing (the generated copy stays, to check restores against).
    }
    fs.rmSync(target);
    const status = (): StatusJson => JSON.parse(wl(root, 'status', '--json').stdout) as StatusJson;
    const afterCommits = status().storeBytes;
    wl(root, 'cleanup', '--json');
    const before = status().storeBytes;
    const beforeTree = treeBytes(path.join(root, '.weightline'));
    const beforeContent = contentBytes(path.join(root, '.weightline'));

    // The forget: preview, then the run, with the trash emptied at once.
    wl(root, 'config', 'trashDays', '0');
    const preview = wl(root, 'forget', ...POLICY, '--dry-run', '--json');
    const previewPlan = JSON.parse(preview.stdout) as PlanJson;
    const statusAfterPreview = status().storeBytes;
    const run = wl(root, 'forget', ...POLICY, '--json');
    const runPlan = JSON.parse(run.stdout) as PlanJson;
    const afterForget = status();
    const afterForgetContent = contentBytes(path.join(root, '.weightline'));
    const opsBytes = treeBytes(path.join(root, '.weightline', 'ops'));
    // Any writer empties a trash whose trashDays have passed; cleanup also drops full copies the policy no longer keeps.
    wl(root, 'cleanup', '--json');
    const after = status();
    // Where the kept versions' bytes are: full parameters (raw or packed) and deltas, per commit (log --json).
    const keptLog = JSON.parse(wl(root, 'log', '--json').stdout) as Array<{ id: string; type: string; fullBytes: number; deltaBytes: number; hasFull: boolean; packed?: true; forgottenBefore?: number }>;
    const fullTotal = keptLog.reduce((a, e) => a + e.fullBytes, 0);
    const deltaTotal = keptLog.reduce((a, e) => a + e.deltaBytes, 0);
    const rawFull = keptLog.filter((e) => e.hasFull && !e.packed).length;
    const packedFull = keptLog.filter((e) => e.hasFull && e.packed).length;
    const afterTree = treeBytes(path.join(root, '.weightline'));
    const trashLeft = treeBytes(path.join(root, '.weightline', 'trash'));
    wl(root, 'config', 'keepFullLatest', '1');
    wl(root, 'cleanup', '--json');
    const afterKeep1 = status().storeBytes;

    // Every kept version, restored and hashed against the file the generator wrote.
    const kept = runPlan.commits.filter((c) => c.verdict === 'keep').map((c) => c.id);
    const keptIdx = kept.map((id) => ids.indexOf(id)).sort((a, b) => a - b);
    let restoreMs = 0, restoreRss = 0, exact = 0;
    const restored = path.join(dir, 'restored.safetensors');
    for (const i of keptIdx) {
      fs.rmSync(restored, { force: true });
      const t = wl(root, 'restore', ids[i]!, '--to', restored, '--link', 'copy');
      restoreMs += t.ms; restoreRss = Math.max(restoreRss, t.rssMb);
      if (sha256File(restored) === shas[i]) exact++;
      else console.log(`  restore of checkpoint ${i + 1} (${ids[i]!.slice(0, 12)}) is NOT bit-exact`);
    }
    const logIds = (JSON.parse(wl(root, 'log', '--json').stdout) as Array<{ id: string }>).map((e) => e.id);

    // The baselines, from the generated files' sizes.
    const everyCopy = versions.reduce((a, v) => a + fs.statSync(v).size, 0);
    const best = losses.indexOf(Math.min(...losses));
    const trainerKeeps = [...new Set([n - 3, n - 2, n - 1, best])].sort((a, b) => a - b);
    const trainerBytes = trainerKeeps.reduce((a, i) => a + fs.statSync(versions[i]!).size, 0);
    const keptCopies = keptIdx.reduce((a, i) => a + fs.statSync(versions[i]!).size, 0);
    const copies = (b: number): string => `${(b / size).toFixed(2)}×`;
    const reasons = new Map(runPlan.commits.map((c) => [c.id, c.reasons]));

    out.push(`## ${title}`, '');
    out.push(`${n} checkpoints of ${(size / MB).toFixed(1)} MB (${(everyCopy / MB).toFixed(0)} MB in all; \`bench/generate.ts\`, seed ${spec.seed}); committed in ${(commitMs / 1000).toFixed(1)} s (peak RSS ${commitRss.toFixed(0)} MB). Best eval_loss ${losses[best]} at step ${best + 1}.`, '');
    out.push(`Kept ${runPlan.kept} of ${n}: ${keptIdx.map((i) => `step ${i + 1} (${(reasons.get(ids[i]!) ?? []).join(', ')})`).join('; ')}.`, '');
    out.push('| what | bytes | MB | × one checkpoint |', '|---|---:|---:|---:|');
    const row = (what: string, b: number): void => { out.push(`| ${what} | ${b} | ${(b / MB).toFixed(1)} | ${copies(b)} |`); };
    row(`(a) every checkpoint as a full copy (${n})`, everyCopy);
    row(`(b) save_total_limit 3 plus the best (the trainer's own way: ${trainerKeeps.length} copies, steps ${trainerKeeps.map((i) => i + 1).join(', ')})`, trainerBytes);
    row(`(c) the ${kept.length} kept versions as full copies`, keptCopies);
    row('Weightline, after the 50 commits (every full copy still there)', afterCommits);
    row('Weightline, after cleanup: all 50 versions (before forget)', before);
    row(`**Weightline, after forget (trash emptied) and cleanup: the ${kept.length} kept versions**`, after.storeBytes);
    row('the same with `keepFullLatest 1` (one full copy less; the newest restores from a delta)', afterKeep1);
    out.push('');
    out.push(`Where the kept versions' ${(after.storeBytes / MB).toFixed(1)} MB are (\`log --json\` after the forget and cleanup): full parameters ${(fullTotal / MB).toFixed(1)} MB (${copies(fullTotal)}: ${rawFull} raw — the newest keepFullLatest 2 and any CHECKPOINT not packed — and ${packedFull} packed CHECKPOINT(s)), deltas ${(deltaTotal / MB).toFixed(1)} MB (${copies(deltaTotal)} for ${keptLog.filter((e) => e.deltaBytes > 0).length} deltas, ${keptLog.filter((e) => e.deltaBytes > 0).length ? ((deltaTotal / keptLog.filter((e) => e.deltaBytes > 0).length) / size).toFixed(2) : '0'}× a checkpoint each); types: ${keptLog.map((e) => `${e.type}${e.forgottenBefore ? ` (${e.forgottenBefore} forgotten before)` : ''}`).join(', ')}.`, '');
    out.push(`Preview (\`forget ${POLICY.join(' ')} --dry-run\`): ${(preview.ms / 1000).toFixed(1)} s, peak RSS ${preview.rssMb.toFixed(0)} MB; the store was unchanged by it (${before} → ${statusAfterPreview} bytes).`);
    out.push(`Forget: ${(run.ms / 1000).toFixed(1)} s, peak RSS ${run.rssMb.toFixed(0)} MB; ${runPlan.forgotten} forgotten, ${runPlan.commits.filter((c) => c.rebasedOnto !== undefined).length} re-based.`, '');
    out.push('| bytes | preview | run |', '|---|---:|---:|');
    for (const k of ['bytesRemoved', 'bytesAdded', 'bytesFreed', 'storeBytesBefore', 'storeBytesAfter'] as const) out.push(`| ${k} | ${previewPlan[k]} | ${runPlan[k]} |`);
    const previewExact = (['bytesRemoved', 'bytesAdded', 'bytesFreed', 'storeBytesBefore', 'storeBytesAfter'] as const).every((k) => previewPlan[k] === runPlan[k]);
    const shrank = beforeContent - afterForgetContent;
    const storeShrank = before - afterForget.storeBytes;
    out.push('', `Preview bytes == run bytes: **${previewExact ? 'yes, every figure' : 'NO'}**. What the store's content really shrank by (objects, packs, manifests, route records and trash, measured on disk before and after the forget, trash emptied by trashDays 0): **${shrank} bytes, against bytesFreed ${runPlan.bytesFreed}: ${shrank === runPlan.bytesFreed ? 'exact to the byte' : `off by ${shrank - runPlan.bytesFreed}`}**. status storeBytes shrank by ${storeShrank}${storeShrank === shrank ? ', the same' : ` (${storeShrank - shrank > 0 ? '+' : ''}${storeShrank - shrank}: the caches and small store files it counts beside the content; the operations log, ${opsBytes} bytes now, is not counted)`}. Files under .weightline: ${beforeTree} bytes before, ${afterTree} after the cleanup that followed (trash folder: ${trashLeft} bytes).`);
    out.push(`Every kept version restored bit-exact (sha256 of the restore against the generated file): ${exact} of ${kept.length} (${(restoreMs / 1000).toFixed(1)} s in all, peak RSS ${restoreRss.toFixed(0)} MB); \`log\` lists ${logIds.length} commits, all of them kept ones: ${logIds.every((id) => kept.includes(id)) && logIds.length === kept.length ? 'yes' : 'NO'}.`, '');
    console.log(out.slice(-8).join('\n'));

    const limit = spec.trainLastLayers !== undefined ? 2 : 4;
    const ratio = after.storeBytes / size;
    const deltas = keptLog.filter((e) => e.deltaBytes > 0).length;
    const perDelta = deltas ? deltaTotal / deltas / size : 0;
    // The least any lossless store of these versions can hold with today's deltas: one full copy (the oldest kept, a CHECKPOINT) and the deltas.
    const floor = 1 + deltaTotal / size;
    bounds.push(`- **${spec.name}** (${ratio.toFixed(2)}× against a target of < ${limit}×; ${ratio < kept.length ? 'smaller' : 'NOT smaller'} than its ${kept.length} kept versions as full copies): the deltas take ${(deltaTotal / size).toFixed(2)}× (${deltas} of them, ${perDelta.toFixed(2)}× a checkpoint each); the full parameters cleanup keeps take ${(fullTotal / size).toFixed(2)}× (${rawFull} raw: the newest keepFullLatest 2, so resuming is a copy; ${packedFull} packed: CHECKPOINTs, among them the oldest kept version, stored whole once its base was forgotten). With \`keepFullLatest 1\`: ${(afterKeep1 / size).toFixed(2)}×. Even a store that kept no raw copy at all would hold about ${floor.toFixed(2)}× (one CHECKPOINT, uncompressed, plus the deltas)${floor < limit ? `, under the target: what stands between is the policy's raw full copies (keepFullLatest cannot be 0)` : `, still over the target: lossless deltas of ${perDelta.toFixed(2)}× each cannot fit ${deltas} versions in ${limit - 1} copies beside the base`}.`);
    targets.push(`| ${spec.name}: the ${kept.length} kept versions cost < ${limit} full copies | ${ratio.toFixed(2)}× | ${ratio < limit ? 'met' : 'missed'} |`);
    targets.push(`| ${spec.name}: preview exact to the byte (every figure of the plan; bytesFreed preview / run / measured on disk) | ${previewPlan.bytesFreed} / ${runPlan.bytesFreed} / ${shrank} | ${previewExact && shrank === runPlan.bytesFreed ? 'met' : 'missed'} |`);
    targets.push(`| ${spec.name}: every kept version restores bit-exact | ${exact} of ${kept.length} | ${exact === kept.length ? 'met' : 'missed'} |`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const loadEnd = os.loadavg();
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}, ${os.platform()} ${os.release()}`;
  return [
    `Machine: ${machine}. Load average (1/5/15 min) ${loadStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadEnd.map((l) => l.toFixed(2)).join(' ')} at the end (other work shared the 2 cores: times are upper bounds, bytes are exact).`, '',
    `Policy: \`weightline forget ${POLICY.join(' ')}\`. Steps are 1..${n}, so --keep-every 10 keeps steps 10, 20, … (by step, as the rule does when every commit has one). Store sizes are \`weightline status --json\` storeBytes (the .weightline folder but the operations log). Times include process start (one CLI process per command); peak RSS is the process's VmHWM (\`scripts/report-max-rss.mjs\`).`, '',
    '## Targets', '', '| target | measured | |', '|---|---:|---|', ...targets, '',
    '### What bounds the bytes', '', ...bounds, '',
    `Against the trainer's own way (b), Weightline keeps every version the policy names, not only the newest 3 and the best, and any of the ${n} can be kept by naming it (tag, pin, --keep-…); against (c), the same versions as full copies, see each run's table. The preview is exact: it encodes every re-based delta (hashing only), so it costs about as much CPU as the forget itself.`, '',
    ...out,
    '## Reproduce', '', '```', 'npm run build   # the bench runs the built CLI (bin/weightline.mjs → out/)', `npm run bench -- --only=forget${opts.quick ? ' --quick' : ''}   # --quick: 12 checkpoints of 4 MB`, '```', '',
  ].join('\n');
}
