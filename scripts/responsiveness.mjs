// How responsive the main side stays on a large store: a measurement, not a test.
//
//   node --import tsx scripts/responsiveness.mjs [--commits N] [--model-gb G] [--rounds R] [--keep] [--dir D]
//
// Builds (or reuses, with --dir) a store of N commits (default 10,000) whose
// working copy is a G GB sparse file (default 10), registered as HEAD's model.
// Then it times every quick call of the contract through ApiService (p50 / p95
// / max over R rounds), the store watcher's poll, and the event loop's delay
// (perf_hooks.monitorEventLoopDelay) while a hashing job runs in its job
// process. It prints a Markdown table; bench/RESPONSIVENESS.md keeps the
// figures. The manifests are synthetic (valid by the store's schema, written
// with Store.writeManifest; tiny objects), so rebuilding them is not the point:
// answering about them is.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ApiService } from '../src-main/app/api-service.ts';
import { watchStore } from '../src-main/app/store-watcher.ts';
import * as contract from '../src-shared/contract.ts';
import { Store } from '../src-main/core/store/store.ts';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const COMMITS = Number(arg('commits', '10000'));
const MODEL_GB = Number(arg('model-gb', '10'));
const ROUNDS = Number(arg('rounds', '30'));
const KEEP = process.argv.includes('--keep');
const sha = (b) => createHash('sha256').update(b).digest('hex');

async function writeObject(store, bytes) {
  const id = sha(bytes);
  const p = store.objectPath(id);
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, bytes, { flag: 'w' });
  return id;
}

function tensor(name, status) {
  return { name, dtype: 'F32', shape: [16], offset: 0, length: 64, width: 4, le: true, status, changedFraction: status === 'changed' ? 0.5 : null, maxAbsDiff: null, relChange: null };
}

/** A store with `n` commits on one line, a CHECKPOINT every 16, full objects for every 4th. */
async function buildStore(root, n, modelBytes) {
  const store = await Store.init(root);
  const model = path.join(root, 'model.safetensors');
  let parent = null;
  let head = null;
  const start = Date.now();
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const checkpoint = i % 16 === 0;
    const full = randomBytes(256);
    const fullSha = sha(full);
    // Every CHECKPOINT keeps its full object; DELTAs store a tiny delta object (and every 4th its full object too).
    if (checkpoint || i % 4 === 0) await writeObject(store, full);
    const delta = checkpoint ? null : { object: await writeObject(store, randomBytes(96)), bytes: 96, basePath: 'model.safetensors', streams: [{ base: 0, blocks: [0] }] };
    const manifest = {
      formatVersion: 1, parent, type: checkpoint ? 'CHECKPOINT' : 'DELTA', message: `step ${i}`,
      createdAt: new Date(t0 + i * 60_000).toISOString(),
      source: { path: 'model.safetensors', kind: 'file' },
      files: [{
        path: 'model.safetensors', bytes: i === n - 1 ? modelBytes : 256, sha256: fullSha, format: 'safetensors', status: i === 0 ? 'added' : 'changed',
        tensors: [tensor('w', i === 0 ? 'added' : 'changed')], removedTensors: [], delta,
      }],
      removedFiles: [],
    };
    const id = await store.writeManifest(manifest);
    parent = id;
    head = id;
    if (i % 1000 === 999) process.stdout.write(`  ${i + 1} commits (${((Date.now() - start) / 1000).toFixed(0)} s)\n`);
  }
  await store.writeHead(head);
  // The working copy: a sparse file of the model's size (its sha256 is not HEAD's, like a model just rewritten by training).
  const fh = await fs.open(model, 'w');
  await fh.truncate(modelBytes);
  await fh.close();
  return { store, model };
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p95: q(0.95), max: s[s.length - 1], n: s.length };
}
const ms = (v) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));

async function timeCall(api, name, args, rounds, before) {
  const samples = [];
  let last;
  for (let i = 0; i < rounds; i++) {
    if (before) await before(i);
    const t = performance.now();
    last = await api.call(name, typeof args === 'function' ? args(i) : args);
    samples.push(performance.now() - t);
    if (!last.ok) { return { ...stats(samples), error: last.error.message }; }
  }
  return { ...stats(samples), value: last.value };
}

async function main() {
  const base = arg('dir', undefined) ?? await fs.mkdtemp(path.join(os.tmpdir(), 'wl-responsiveness-'));
  const root = path.join(base, 'store');
  const modelBytes = Math.round(MODEL_GB * 1024 ** 3);
  let store; let model;
  if (await fs.stat(path.join(root, '.weightline', 'format.json')).catch(() => null)) {
    store = await Store.open(root);
    model = path.join(root, 'model.safetensors');
    console.log(`reusing ${root}`);
  } else {
    console.log(`building ${COMMITS} commits and a ${MODEL_GB} GB sparse model in ${root}`);
    const t = performance.now();
    ({ store, model } = await buildStore(root, COMMITS, modelBytes));
    console.log(`  built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const ids = await store.listCommitIds();
  const configDir = path.join(base, 'config');
  const api = new ApiService({ configDir, pollMs: 2000 });
  const rows = [];
  const row = (label, r) => {
    rows.push({ label, ...r });
    console.log(`${label.padEnd(44)} p50 ${ms(r.p50).padStart(8)}  p95 ${ms(r.p95).padStart(8)}  max ${ms(r.max).padStart(8)} ms${r.error ? `  ERROR ${r.error}` : ''}`);
  };
  try {
    row('store.open (first: cold caches)', await timeCall(api, 'store.open', { path: root }, 1));
    row('commits.list (first)', await timeCall(api, 'commits.list', {}, 1));
    row('status.get (first)', await timeCall(api, 'status.get', {}, 1));
    row('store.current', await timeCall(api, 'store.current', {}, ROUNDS));
    row('store.recent', await timeCall(api, 'store.recent', {}, ROUNDS));
    row('commits.list', await timeCall(api, 'commits.list', {}, ROUNDS));
    row('commits.get (random commit)', await timeCall(api, 'commits.get', (i) => ({ id: ids[(i * 7919) % ids.length] }), ROUNDS));
    row('status.get (model unchanged)', await timeCall(api, 'status.get', {}, ROUNDS));
    // A training loop rewrote the model: its mtime changes between calls.
    const rounds = Math.min(ROUNDS, 5);
    row('status.get (model rewritten before each call)', await timeCall(api, 'status.get', {}, rounds, async (i) => {
      const when = new Date(Date.now() - 10_000 + i);
      await fs.utimes(model, when, when);
    }));
    row('settings.get', await timeCall(api, 'settings.get', {}, ROUNDS));
    // No pins.set row: pinning is a job (it rebuilds full parameters a cleanup removed), not a quick call.
    row('jobs.list', await timeCall(api, 'jobs.list', {}, ROUNDS));
    row('fs.complete', await timeCall(api, 'fs.complete', { prefix: `${root}/` }, ROUNDS));
    const quick = contract.QUICK_CALLS ? new Set(contract.QUICK_CALLS) : null;
    if (!quick || quick.has('cleanup.preview')) {
      row('cleanup.preview (inline)', await timeCall(api, 'cleanup.preview', {}, 1));
    }

    // After a change (here: a setting), the first answers rebuild the cached view
    // (the log index read and checked, the objects stat'ed): how long the event loop waits then.
    {
      const h = monitorEventLoopDelay({ resolution: 5 });
      const cold = [];
      for (let i = 0; i < 3; i++) {
        await api.call('settings.set', { autoCleanup: i % 2 === 0 });
        h.enable();
        const t = performance.now();
        await api.call('commits.list', {});
        await api.call('status.get', {});
        cold.push(performance.now() - t);
        h.disable();
      }
      row('commits.list + status.get after a change (cold view)', stats(cold));
      rows.push({ label: 'event-loop delay during those cold answers', p50: h.percentile(50) / 1e6, p95: h.percentile(95) / 1e6, max: h.max / 1e6 });
      console.log(`event-loop delay during cold answers: max ${ms(h.max / 1e6)} ms`);
    }

    // The watcher's poll: what it costs every 2 s.
    const w = watchStore(root, () => undefined, 3_600_000);
    await w.check();
    const polls = [];
    for (let i = 0; i < ROUNDS; i++) { const t = performance.now(); await w.check(); polls.push(performance.now() - t); }
    w.close();
    row('store watcher: one poll', stats(polls));

    // The event loop while a job hashes the whole model in its own process.
    const h = monitorEventLoopDelay({ resolution: 10 });
    const when = new Date(Date.now() - 10_000);
    await fs.utimes(model, when, when);
    const jobKind = quick ? 'status' : null;
    if (jobKind) {
      const calls = [];
      h.enable();
      const t = performance.now();
      const started = await api.call('jobs.start', { kind: jobKind });
      if (!started.ok) throw new Error(started.error.message);
      const done = api.runner.wait(started.value.jobId);
      let finished = false;
      void done.then(() => { finished = true; });
      // Keep calling while it runs, as the UI would on progress events.
      while (!finished) {
        const c = performance.now();
        await api.call('status.get', {});
        await api.call('commits.get', { id: ids[calls.length % ids.length] });
        calls.push(performance.now() - c);
        await new Promise((r) => setTimeout(r, 100));
      }
      const event = await done;
      h.disable();
      const secs = (performance.now() - t) / 1000;
      console.log(`job ${jobKind}: ${event.state} in ${secs.toFixed(1)} s; ${event.state === 'done' ? JSON.stringify(event.result.value.workingCopy ?? {}) : JSON.stringify(event.error)}`);
      row(`status.get + commits.get while the ${jobKind} job hashes ${MODEL_GB} GB`, stats(calls));
      const n = (v) => v / 1e6;
      rows.push({ label: `event-loop delay during the job (${secs.toFixed(1)} s)`, p50: n(h.percentile(50)), p95: n(h.percentile(95)), max: n(h.max) });
      console.log(`event-loop delay during the job: p50 ${ms(n(h.percentile(50)))} p95 ${ms(n(h.percentile(95)))} max ${ms(n(h.max))} ms`);

      // cleanup.preview: answered by a cleanupPreview job process (it hashes objects to prove routes).
      const h2 = monitorEventLoopDelay({ resolution: 10 });
      h2.enable();
      const preview = await timeCall(api, 'cleanup.preview', {}, 1);
      h2.disable();
      row('cleanup.preview (a cleanupPreview job; the call awaits it)', preview);
      rows.push({ label: 'event-loop delay during cleanup.preview', p50: n(h2.percentile(50)), p95: n(h2.percentile(95)), max: n(h2.max) });
      row('cleanup.preview again (same store state: cached)', await timeCall(api, 'cleanup.preview', {}, 5));
    }

    // The sample history (first run): store.openSample answers at once with a
    // job, and the store opens when the job has written it. The unit tests
    // check the order of these; the times live here.
    const sampleApi = new ApiService({ configDir: path.join(base, 'config-sample'), pollMs: 2000 });
    try {
      const opened = new Promise((resolve) => sampleApi.on('storeChanged', resolve));
      const t = performance.now();
      const answer = await sampleApi.call('store.openSample', { path: path.join(base, 'sample') });
      const answered = performance.now() - t;
      if (!answer.ok) throw new Error(answer.error.message);
      await opened;
      row('store.openSample (the answer; its job runs on)', stats([answered]));
      row('store.openSample until the sample store opens', stats([performance.now() - t]));
    } finally {
      await sampleApi.dispose();
    }
  } finally {
    await api.dispose();
    if (!KEEP && !arg('dir', undefined)) await fs.rm(base, { recursive: true, force: true });
  }
  console.log('\n| call | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.label} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} |${r.error ? ` error: ${r.error}` : ''}`);
}

await main();
