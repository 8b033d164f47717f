import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { commit } from '../../src-main/core/ops/commit';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, nudgeF32, rng, sha256Of, writeSafetensors, type TestTensor } from './models';

// A store holding a fine-tuning history of one safetensors file: a CHECKPOINT
// then DELTAs, each a small optimizer step over part of the weights. Shared by
// the tests of the store's promises (trust, packing), which each damage it
// their own way.

export interface History { root: string; store: Store; file: string; ids: string[]; shas: string[]; model: TestTensor[] }

export interface HistoryOptions {
  readonly seed?: number;
  /** Elements of the big tensor (default 1.3M: two 4 MiB blocks) and of the small one. */
  readonly big?: number;
  readonly small?: number;
  /** Share of elements each step changes. */
  readonly fraction?: number;
  /** maxChainLength, when a test wants CHECKPOINTs often. */
  readonly checkpointEvery?: number;
}

export async function makeHistory(root: string, count: number, opts: HistoryOptions = {}): Promise<History> {
  const store = await Store.init(root);
  if (opts.checkpointEvery) await store.writeConfig({ ...(await store.readConfig()), maxChainLength: opts.checkpointEvery });
  const file = path.join(root, 'ckpt.safetensors');
  const r = rng(opts.seed ?? 1);
  const big = opts.big ?? 1_300_000, small = opts.small ?? 4096;
  let model: TestTensor[] = [
    { name: 'big', dtype: 'F32', shape: [big], data: gaussianF32(big, r) },
    { name: 'small', dtype: 'F32', shape: [small], data: gaussianF32(small, r) },
  ];
  const ids: string[] = [];
  const shas: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) model = model.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, opts.fraction ?? 0.5) }));
    await writeSafetensors(file, model);
    ids.push((await commit(store, file, { message: `epoch ${i}` })).id);
    shas.push(await sha256Of(file));
  }
  return { root, store, file, ids, shas, model };
}

/** For each commit of the history, whether it restores bit-exact now (by any route; to files under `folder`). */
export async function restorableVersions(h: History, folder = 'check'): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const [i, id] of h.ids.entries()) {
    const to = path.join(h.root, folder, `${i}.safetensors`);
    await fs.rm(to, { force: true });
    try {
      await restore(h.store, id, { to, link: 'copy' });
      out.push((await sha256Of(to)) === h.shas[i]);
    } catch {
      out.push(false);
    }
  }
  return out;
}
