// npm run bench -- --only=follow: a real torch training loop (Debian's
// python3-torch) writing Hugging Face Trainer checkpoint folders
// (bench/trainer_loop.py), three ways:
//   (a) the trainer alone, keeping every checkpoint;
//   (b) the trainer with save_total_limit 2 (what users do today: the rest is lost);
//   (c) the trainer keeping everything, followed by `weightline watch --then remove`
//       (every checkpoint committed; the trainer's folder keeps the newest one) into a
//       store with autoCleanup on (full parameters for CHECKPOINTs and the newest 2 only).
// For each: peak and final disk use (the run folder, plus the store for c),
// sampled with `du` every 250 ms; for (c) also the lag from "checkpoint
// complete" (the loop's event line, written right after trainer_state.json)
// to "committed" (the commit's createdAt), and the watch process's CPU while
// idle after the run. Writes bench/RESULTS-follow.md.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface FollowOptions {
  readonly repo: string;
  readonly scratch: string;
  readonly quick: boolean;
}

interface DiskUse { peak: number; final: number }

const MB = 1e6;

function du(paths: readonly string[]): number {
  const existing = paths.filter((p) => fs.existsSync(p));
  if (existing.length === 0) return 0;
  // One du over every path counts a hard-linked file once (a capture and the trainer's file share their blocks).
  const r = spawnSync('du', ['-sbc', ...existing], { encoding: 'utf8' });
  const total = /(\d+)\s+total\s*$/m.exec(r.stdout ?? '');
  return total ? Number(total[1]) : 0;
}

/** Samples disk use of the paths while `run` is under way. */
async function sampled<T>(paths: readonly string[], run: () => Promise<T>): Promise<{ value: T; disk: DiskUse }> {
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, du(paths)); }, 250);
  try {
    const value = await run();
    const final = du(paths);
    return { value, disk: { peak: Math.max(peak, final), final } };
  } finally {
    clearInterval(timer);
  }
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function trainer(out: string, events: string, checkpoints: number, limit: number): ChildProcess {
  return spawn('/usr/bin/python3', [path.join(import.meta.dirname, 'trainer_loop.py'), '--out', out, '--events', events,
    '--checkpoints', String(checkpoints), '--save-total-limit', String(limit), '--hidden', '1024'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** utime + stime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14 and 15 of proc(5), in clock ticks (USER_HZ = 100)
}

function wlJson(repo: string, cwd: string, ...args: string[]): unknown {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'weightline.mjs'), ...args, '--json'], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`weightline ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function benchFollow(opts: FollowOptions): Promise<string> {
  if (spawnSync('/usr/bin/python3', ['-c', 'import torch']).status !== 0) {
    return '## Following a training run\n\nSkipped: /usr/bin/python3 cannot import torch (Debian python3-torch is not installed).\n';
  }
  const n = opts.quick ? 8 : 50;
  const base = fs.mkdtempSync(path.join(opts.scratch, 'follow-'));
  const rows: string[] = [];

  // (a) and (b): the trainer alone.
  const alone = async (limit: number): Promise<DiskUse> => {
    const dir = path.join(base, `alone-${limit}`);
    fs.mkdirSync(dir);
    const run = path.join(dir, 'run');
    const { value: code, disk } = await sampled([run], () => exited(trainer(run, path.join(dir, 'events.jsonl'), n, limit)));
    if (code !== 0) throw new Error(`the training loop failed (exit ${code})`);
    return disk;
  };
  const a = await alone(0);
  const b = await alone(2);

  // (c): the trainer keeping everything, watch removing what it committed.
  const dir = path.join(base, 'watched');
  fs.mkdirSync(dir);
  wlJson(opts.repo, dir, 'init');
  // A store that follows a run within a disk budget: each commit's cleanup keeps full
  // parameters only for CHECKPOINTs and the newest keepFullLatest (2), deltas for the rest.
  wlJson(opts.repo, dir, 'config', 'autoCleanup', 'true');
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  const events = path.join(base, 'watched-events.jsonl');
  const watch = spawn(process.execPath, [path.join(opts.repo, 'bin', 'weightline.mjs'), 'watch', 'run', '--then', 'remove', '--keep-newest', '1'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  let watchEnded = false;
  const watchDone = exited(watch).then((code) => { watchEnded = true; return code; });
  let idleCpu = 0;
  let idleSeconds = 0;
  const { disk: c } = await sampled([run, path.join(dir, '.weightline')], async () => {
    const code = await exited(trainer(run, events, n, 0));
    if (code !== 0) throw new Error(`the training loop failed (exit ${code})`);
    // Until every checkpoint is committed (or a generous bound passes).
    for (let waited = 0; waited < 600_000; waited += 500) {
      if (watchEnded) throw new Error(`weightline watch stopped before the run was committed (exit ${await watchDone})`);
      const log = wlJson(opts.repo, dir, 'log') as { commits?: unknown[] } | unknown[];
      const count = Array.isArray(log) ? log.length : (log.commits?.length ?? 0);
      if (count >= n) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Idle: nothing more is written; what watch costs now is its poll and its watchers.
    const before = cpuSeconds(watch.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, opts.quick ? 5_000 : 20_000));
    idleSeconds = (performance.now() - t0) / 1000;
    idleCpu = cpuSeconds(watch.pid!) - before;
  });
  watch.kill('SIGINT');
  await watchDone;

  const completed = new Map<string, number>();
  for (const line of fs.readFileSync(events, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { checkpoint: string; completedAt: number };
    completed.set(e.checkpoint, e.completedAt * 1000);
  }
  const logged = wlJson(opts.repo, dir, 'log') as Array<{ createdAt: string; meta?: { checkpoint?: string } }> | { commits: Array<{ createdAt: string; meta?: { checkpoint?: string } }> };
  const commits = Array.isArray(logged) ? logged : logged.commits;
  const lags = commits.flatMap((e) => {
    const done = e.meta?.checkpoint ? completed.get(e.meta.checkpoint) : undefined;
    return done === undefined ? [] : [Date.parse(e.createdAt) - done];
  }).sort((x, y) => x - y);
  const pct = (p: number): string => (lags.length ? (lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]! / 1000).toFixed(2) : 'n/a');
  const perCheckpoint = [...completed.keys()].length;

  rows.push('## Following a training run (HF Trainer layout, real torch loop)', '');
  rows.push(`${n} checkpoints of a 4-layer MLP (hidden 1024; model.safetensors ${(fs.statSync(path.join(run, fs.readdirSync(run).filter((d) => d.startsWith('checkpoint-')).sort().at(-1)!, 'model.safetensors')).size / MB).toFixed(1)} MB, AdamW state in optimizer.pt), one every 20 steps; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end.`, '');
  rows.push('| setup | versions kept | peak disk | final disk |', '|---|---:|---:|---:|');
  rows.push(`| (a) trainer alone, keeps every checkpoint | ${n} | ${(a.peak / MB).toFixed(0)} MB | ${(a.final / MB).toFixed(0)} MB |`);
  rows.push(`| (b) trainer, save_total_limit 2 | 2 | ${(b.peak / MB).toFixed(0)} MB | ${(b.final / MB).toFixed(0)} MB |`);
  rows.push(`| (c) trainer + \`weightline watch --then remove\` (autoCleanup on) | ${commits.length} committed of ${perCheckpoint} | ${(c.peak / MB).toFixed(0)} MB | ${(c.final / MB).toFixed(0)} MB |`);
  rows.push('', `Lag from "checkpoint complete" to "committed" over ${lags.length} checkpoints: median ${pct(0.5)} s, p90 ${pct(0.9)} s, max ${pct(1)} s.`);
  rows.push(`watch while idle after the run: ${idleCpu.toFixed(2)} s of CPU in ${idleSeconds.toFixed(0)} s (${((idleCpu / idleSeconds) * 100).toFixed(2)}% of one core).`, '');
  fs.rmSync(base, { recursive: true, force: true });
  return rows.join('\n');
}
