// Files whose layout is written in another file beside them: an ONNX model's
// external data (named by `location` in the .onnx) and a TensorFlow bundle's
// data shards (described by `<prefix>.index`). readLayout works one file at a
// time, so the data file looks for its describing sibling in its own folder:
//
// - `<prefix>.data-0000K-of-0000N`: `<prefix>.index` beside it, if present,
//   gives the layout (and must parse: the name is certain); if absent, generic.
// - any other file no parser claims (and a `.bin` that is neither zip nor
//   pickle): the `.onnx` files in the same folder are read (at most
//   MAX_ONNX_CANDIDATES, those whose stem starts the data file's name first);
//   the first that names this file as external data gives its layout. A
//   candidate that does not parse is skipped: it may have nothing to do with
//   this file, and it fails on its own when committed.
//
// A commit reads every file of a folder, so the parsed models and bundles and
// the folder listings are cached, keyed by their stat (size, mtime, inode),
// so that N data files cost one read of their model.

import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { FileLayout } from '../base/layout';
import { externalDataLayout, readOnnxModel, type OnnxModel } from './onnx';
import { readTfBundle, readTfIndexLayout, TF_SHARD_NAME, tfShardLayout, type TfBundle } from './tf-checkpoint';

const MAX_ONNX_CANDIDATES = 16;
const CACHE_ENTRIES = 32;

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** A small cache of values derived from a file or folder, valid while its stat is unchanged. */
class StatKeyedCache<T> {
  private readonly map = new Map<string, { readonly key: string; readonly outcome: Outcome<T> }>();

  async get(path: string, compute: (size: number) => Promise<T>): Promise<T> {
    const st = await stat(path, { bigint: true });
    const key = `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
    const hit = this.map.get(path);
    let outcome: Outcome<T>;
    if (hit && hit.key === key) {
      outcome = hit.outcome;
    } else {
      try {
        outcome = { ok: true, value: await compute(Number(st.size)) };
      } catch (e) {
        if (!(e instanceof WeightlineError)) throw e;
        outcome = { ok: false, error: e };
      }
      this.map.delete(path);
      this.map.set(path, { key, outcome });
      if (this.map.size > CACHE_ENTRIES) this.map.delete(this.map.keys().next().value!);
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }
}

const onnxModels = new StatKeyedCache<OnnxModel>();
const tfBundles = new StatKeyedCache<TfBundle>();
const onnxListings = new StatKeyedCache<readonly string[]>();

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The TF shard's layout from `<prefix>.index`; null if no index sits beside it. */
async function tfShard(path: string, size: number, m: RegExpExecArray): Promise<FileLayout | null> {
  const indexPath = join(dirname(path), `${m[1]}.index`);
  if (!(await exists(indexPath))) return null;
  let bundle: TfBundle;
  try {
    bundle = await tfBundles.get(indexPath, (n) => readTfBundle(indexPath, n));
  } catch (e) {
    if (e instanceof WeightlineError && e.code === 'BAD_FORMAT') {
      throw new WeightlineError('BAD_FORMAT', `its index does not parse: ${e.message}`, path);
    }
    throw e;
  }
  return tfShardLayout(bundle, indexPath, path, size, Number(m[2]), Number(m[3]));
}

/** True if `<stem>.data-…-of-…` exists beside the `.index` at `indexPath`. */
export async function hasTfShardSibling(indexPath: string): Promise<boolean> {
  const stem = basename(indexPath).replace(/\.index$/i, '');
  const first = join(dirname(indexPath), `${stem}.data-00000-of-`);
  try {
    const names = await readdir(dirname(indexPath));
    return names.some((n) => join(dirname(indexPath), n).startsWith(first) && TF_SHARD_NAME.test(n));
  } catch {
    return false;
  }
}

async function onnxExternal(path: string, size: number): Promise<FileLayout | null> {
  const folder = dirname(path);
  const own = basename(path);
  let names: readonly string[];
  try {
    names = await onnxListings.get(folder, async () => (await readdir(folder)).filter((n) => /\.onnx$/i.test(n)).sort());
  } catch {
    return null;
  }
  // Likeliest first: model.onnx for model.onnx.data, model.onnx_data, model.data, model.bin.
  const stem = (n: string): string => n.replace(/\.onnx$/i, '');
  const ranked = [...names].sort((a, b) => Number(own.startsWith(stem(b))) - Number(own.startsWith(stem(a))));
  for (const name of ranked.slice(0, MAX_ONNX_CANDIDATES)) {
    const modelPath = join(folder, name);
    let model: OnnxModel;
    try {
      model = await onnxModels.get(modelPath, (n) => readOnnxModel(modelPath, n));
    } catch (e) {
      if (e instanceof WeightlineError || (e as NodeJS.ErrnoException).code !== undefined) continue;
      throw e;
    }
    const layout = externalDataLayout(model, modelPath, path, size);
    if (layout) return layout;
  }
  return null;
}

/**
 * The layout a sibling file gives `path` (a file no parser claims by its
 * name), or null when none describes it.
 */
export async function describedBySibling(path: string, size: number): Promise<FileLayout | null> {
  const shard = TF_SHARD_NAME.exec(basename(path));
  if (shard) return tfShard(path, size, shard);
  return onnxExternal(path, size);
}

/** Layout of a `.index` file: a TF bundle index if it looks like one (see readTfIndexLayout). */
export function readIndexLayout(path: string, size: number): Promise<FileLayout> {
  return readTfIndexLayout(path, size, () => hasTfShardSibling(path));
}
