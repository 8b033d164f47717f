// ONNX and TensorFlow checkpoints in a real store: three fine-tuning versions
// (test/fixtures/make_formats_b.py) commit as DELTAs with per-tensor figures,
// restore bit-exact (also rebuilt from a delta once the middle version's full
// parameters are gone), store less than xdelta3 per step, and broken files
// leave the store as it was.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { show } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { WeightlineError } from '../../src-shared/errors';
import type { CommitResult } from '../../src-shared/model';
import { sha256Of, snapshotTree, useScratch } from '../helpers/models';
import { fixture } from './helpers';

const scratch = useScratch();
const HAS_TOOLS = ['xdelta3', 'zstd'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

interface Sequence {
  readonly name: string;
  /** Each version: a fixture file or folder, copied to `target` in the working folder. */
  readonly versions: readonly string[];
  readonly target: string;
  /** Files expected to carry tensors (relative to the target folder, or the file itself). */
  readonly withTensors: readonly string[];
}

const tf = JSON.parse(readFileSync(fixture('tf/expected.json'), 'utf8')) as { sequences: Record<string, string[]> };
const SEQUENCES: readonly Sequence[] = [
  { name: 'ONNX, weights inline (torch.onnx.export)', versions: [1, 2, 3].map((v) => `onnx/finetune/v${v}.onnx`), target: 'model.onnx', withTensors: ['model.onnx'] },
  { name: 'ONNX with external data (onnx.save)', versions: [1, 2, 3].map((v) => `onnx/external/v${v}`), target: 'model', withTensors: ['model.onnx', 'model.onnx.data'] },
  { name: 'TF SavedModel variables, one shard', versions: tf.sequences.savedmodel!.map((r) => `tf/${r}`), target: 'variables', withTensors: ['variables.data-00000-of-00001'] },
  { name: 'TF bundle, two shards', versions: tf.sequences.sharded!.map((r) => `tf/${r}`), target: 'variables', withTensors: ['variables.data-00000-of-00002', 'variables.data-00001-of-00002'] },
];

async function filesUnder(p: string): Promise<string[]> {
  const st = await fs.stat(p);
  if (st.isFile()) return [''];
  return (await fs.readdir(p)).sort();
}

/** Replaces the working copy with a version's bytes (same paths, as a training loop overwrites them). */
async function place(src: string, dst: string): Promise<void> {
  await fs.rm(dst, { recursive: true, force: true });
  await fs.cp(src, dst, { recursive: true });
}

function toolBytes(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.toString()}`);
  return r.stdout.length;
}

describe('fine-tuning sequences of ONNX and TF checkpoints in a store', () => {
  const report: string[] = [];
  for (const seq of SEQUENCES) {
    it(`${seq.name}: DELTAs with per-tensor figures, restores bit-exact, smaller than xdelta3`, async () => {
      const root = scratch();
      const store = await Store.init(root);
      const work = path.join(root, seq.target);
      const commits: CommitResult[] = [];
      const hashes: Record<string, string>[] = [];
      for (const [i, v] of seq.versions.entries()) {
        await place(fixture(v), work);
        const files = await filesUnder(work);
        hashes.push(Object.fromEntries(await Promise.all(files.map(async (f) => [f, await sha256Of(path.join(work, f))] as const))));
        commits.push(await commit(store, work, { message: `v${i + 1}` }));
      }
      expect(commits.map((c) => c.type)).toEqual(['CHECKPOINT', 'DELTA', 'DELTA']);

      for (const c of commits.slice(1)) {
        const s = await show(store, c.id);
        for (const f of s.files) {
          const rel = seq.target.endsWith('.onnx') ? '' : f.path;
          if (!seq.withTensors.some((w) => w === rel || (rel === '' && w === seq.target))) continue;
          expect(f.tensors.length, `${f.path} tensors`).toBeGreaterThan(0);
          expect(f.tensors.some((t) => t.status === 'changed'), `${f.path} has changed tensors`).toBe(true);
          const changed = f.tensors.find((t) => t.status === 'changed')!;
          expect(changed.changedFraction).toBeGreaterThan(0);
        }
      }

      // Drop the middle version's full parameters: it must rebuild from its delta.
      const middle = await show(store, commits[1]!.id);
      // (Files the other versions share, e.g. an unchanged .onnx next to its data, keep theirs.)
      const others = new Set((await Promise.all([commits[0]!, commits[2]!].map((c) => show(store, c.id)))).flatMap((s) => s.files.map((f) => f.sha256)));
      let dropped = 0;
      for (const f of middle.files) {
        if (others.has(f.sha256)) continue;
        await fs.rm(store.objectPath(f.sha256));
        dropped++;
      }
      expect(dropped).toBeGreaterThan(0);
      for (const [i, c] of commits.entries()) {
        const out = path.join(root, `restored-${i + 1}`);
        await restore(store, c.id, { to: out });
        for (const [f, sha] of Object.entries(hashes[i]!)) expect(await sha256Of(path.join(out, f)), `v${i + 1} ${f}`).toBe(sha);
      }

      if (!HAS_TOOLS) return;
      for (let i = 1; i < seq.versions.length; i++) {
        let xd = 0;
        let zs = 0;
        for (const f of await filesUnder(fixture(seq.versions[i]!))) {
          const prev = path.join(fixture(seq.versions[i - 1]!), f);
          const cur = path.join(fixture(seq.versions[i]!), f);
          xd += toolBytes('xdelta3', ['-e', '-c', '-s', prev, cur]);
          zs += toolBytes('zstd', ['-q', '-c', '-19', `--patch-from=${prev}`, cur]);
        }
        const wl = commits[i]!.deltaBytes;
        report.push(`| ${seq.name} | v${i}→v${i + 1} | ${commits[i]!.logicalBytes} | ${wl} | ${xd} | ${zs} |`);
        expect(wl, `${seq.name} v${i + 1}: Weightline ${wl} bytes vs xdelta3 ${xd}`).toBeLessThan(xd);
      }
    });
  }

  // The sizes each test compared, printed for the record once they have run:
  // not a test of its own (it would assert nothing and need the others first).
  afterAll(() => {
    if (report.length > 0) console.log(['| sequence | step | bytes | Weightline | xdelta3 | zstd -19 --patch-from |', '|---|---|---:|---:|---:|---:|', ...report].join('\n'));
  });
});

describe('broken ONNX and TF files leave the store unchanged', () => {
  async function storeState(store: Store): Promise<{ commits: string[]; head: string | null; tree: Record<string, number> }> {
    const { 'log-index.json': _derived, ...tree } = await snapshotTree(store.dir);
    return { commits: [...(await store.listCommitIds())].sort(), head: await store.readHead(), tree };
  }

  const cases: [string, string, string, (work: string) => Promise<string>][] = [
    ['a truncated .onnx', 'onnx/finetune/v1.onnx', 'model.onnx', async (w) => { await fs.truncate(w, 5000); return w; }],
    ['an external data file cut short', 'onnx/external/v2', 'model', async (w) => { const f = path.join(w, 'model.onnx.data'); await fs.truncate(f, 1000); return f; }],
    ['a TF index with a damaged block', 'tf/savedmodel/v2/variables', 'variables', async (w) => {
      const f = path.join(w, 'variables.index');
      const b = await fs.readFile(f);
      b[10] = b[10]! ^ 0xff;
      await fs.writeFile(f, b);
      return f;
    }],
    ['a TF shard shorter than its index says', 'tf/sharded/v2', 'variables', async (w) => { const f = path.join(w, 'variables.data-00001-of-00002'); await fs.truncate(f, 100); return f; }],
  ];
  for (const [what, good, target, breakIt] of cases) {
    it(`${what}: BAD_FORMAT naming the file, nothing written`, async () => {
      const root = scratch();
      const store = await Store.init(root);
      const work = path.join(root, target);
      await place(fixture(good), work);
      await commit(store, work, { message: 'good' });
      const before = await storeState(store);
      const bad = await breakIt(work);
      const e = await commit(store, work, { message: 'bad' }).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(WeightlineError);
      expect((e as WeightlineError).code).toBe('BAD_FORMAT');
      // Files are read in name order: a shard read before its broken index names itself and the index.
      const err = e as WeightlineError;
      expect(err.file === bad || (err.file!.startsWith(path.dirname(bad)) && err.message.includes(bad))).toBe(true);
      expect(await storeState(store)).toEqual(before);
    });
  }
});

describe('a TF CheckpointManager saving under a new number each time (ckpt-1.*, ckpt-2.*, …)', () => {
  it('each save is a DELTA against the previous number, and every version restores bit-exact', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const work = path.join(root, 'ckpts');
    const commits: CommitResult[] = [];
    const hashes: Array<Record<string, string>> = [];
    for (const v of [1, 2, 3]) {
      await place(fixture(`tf/ckpt-manager/v${v}`), work);
      const c = await commit(store, work, { message: `save ${v}` });
      commits.push(c);
      const files: Record<string, string> = {};
      for (const f of await fs.readdir(work)) files[f] = await sha256Of(path.join(work, f));
      hashes.push(files);
    }
    for (const c of commits.slice(1)) {
      expect(c.type).toBe('DELTA');
      const m = await store.readManifest(c.id);
      const data = m.files.find((f) => f.path.includes('.data-'))!;
      // Based on the previous number's shard, not stored whole.
      expect(data.delta!.basePath).toMatch(/^ckpt-\d\.data-00000-of-00001$/);
      expect(data.delta!.basePath).not.toBe(data.path);
      expect(data.tensors.some((t) => t.status === 'changed')).toBe(true);
    }
    for (const [i, c] of commits.entries()) {
      const to = path.join(root, `out-${i}`);
      await restore(store, c.id, { to, link: 'copy' });
      for (const [name, sha] of Object.entries(hashes[i]!)) expect(await sha256Of(path.join(to, name))).toBe(sha);
    }
  });
});
