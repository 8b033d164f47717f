// checkpointComplete: whether a checkpoint's trainer has finished writing it,
// by the trainer's own completion sign (HF: trainer_state.json, written after
// everything else in the folder; TF: the `checkpoint` state file naming the
// prefix, written after the index, which is written after the data shards)
// and each file's own structure (file-complete.ts). The sources these orders
// were read from are cited in docs/TRAINERS.md.
//
// 'corrupt' is said only when waiting cannot help: the checkpoint fails a
// check AND the trainer has since finished a newer checkpoint of the same run
// (a later mtime, complete by the same rules). A trainer never goes back to
// an older save, so a file still cut or malformed then was abandoned (a crash
// mid-save, a full disk). Without a newer complete checkpoint, any failure is
// 'writing': a partly written file is indistinguishable from a damaged one
// until the trainer moves on. A name the trainer rewrites in place is never
// 'corrupt': the next save writes it whole again.

import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { readTfBundle } from '../formats/tf-checkpoint';
import type { CheckpointFound, Completion } from './checkpoint';
import { checkFile } from './file-complete';
import { PLAIN_EXTENSIONS } from './names';
import { listFolderFiles, scanRun } from './scan';
import { readTfState, stateNames } from './tf-state';

/** What the structure says: done, or not (and in words, what is missing or wrong). */
type Structure = { readonly done: true } | { readonly done: false; readonly why: string };
const DONE: Structure = { done: true };

export const HF_STATE_FILE = 'trainer_state.json';
/** Weights files save_model() writes into a checkpoint folder, unsharded; or their index when sharded. */
const HF_WEIGHTS = ['model.safetensors', 'pytorch_model.bin', 'adapter_model.safetensors', 'adapter_model.bin'];
const HF_INDEXES = ['model.safetensors.index.json', 'pytorch_model.bin.index.json'];
const MAX_JSON_BYTES = 64 * 1024 * 1024;

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function readJson(path: string): Promise<{ value: unknown } | { missing: true } | { error: string }> {
  let bytes: Buffer;
  try {
    const s = await stat(path);
    if (s.size > MAX_JSON_BYTES) return { error: `${basename(path)} is ${s.size} bytes, more than the ${MAX_JSON_BYTES} read` };
    bytes = await readFile(path);
  } catch (e) {
    if (isMissing(e)) return { missing: true };
    throw e;
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch (e) {
    return { error: `${basename(path)} is not JSON yet (${(e as Error).message})` };
  }
}

async function hfStructure(c: CheckpointFound): Promise<Structure> {
  const files = await listFolderFiles(c.path);
  if (files.length === 0) return { done: false, why: `${c.name}/ holds no files yet` };
  const names = new Set(files.map((f) => relative(c.path, f).split('\\').join('/')));
  const state = await readJson(join(c.path, HF_STATE_FILE));
  if ('missing' in state) return { done: false, why: `${c.name}/${HF_STATE_FILE}, which the HF Trainer writes after the weights, optimizer, scheduler and RNG state` };
  if ('error' in state) return { done: false, why: `${c.name}/${state.error}` };
  if (typeof state.value !== 'object' || state.value === null || typeof (state.value as { global_step?: unknown }).global_step !== 'number') {
    return { done: false, why: `${c.name}/${HF_STATE_FILE} to hold a global_step` };
  }

  const weights: string[] = [];
  for (const index of HF_INDEXES) {
    if (!names.has(index)) continue;
    const parsed = await readJson(join(c.path, index));
    if (!('value' in parsed)) return { done: false, why: `${c.name}/${index} to be readable` };
    const map = (parsed.value as { weight_map?: unknown } | null)?.weight_map;
    if (typeof map !== 'object' || map === null) return { done: false, why: `${c.name}/${index} to hold a weight_map` };
    for (const shard of new Set(Object.values(map as Record<string, unknown>))) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) return { done: false, why: `${c.name}/${index} names a shard outside the folder: ${String(shard)}` };
      if (!names.has(shard)) return { done: false, why: `${c.name}/${shard}, a shard its ${index} names` };
      weights.push(shard);
    }
  }
  for (const w of HF_WEIGHTS) if (names.has(w)) weights.push(w);
  // A trainer subclass or DeepSpeed may name weights differently; any weights file will do.
  if (weights.length === 0 && ![...names].some((n) => PLAIN_EXTENSIONS.some((e) => n.toLowerCase().endsWith(e)))) {
    return { done: false, why: `${c.name}/model.safetensors or pytorch_model.bin (the model weights)` };
  }
  for (const f of files) {
    const check = await checkFile(f, basename(f));
    if (!check.ok) return { done: false, why: `${relative(join(c.path, '..'), f)}: ${check.why}` };
  }
  return DONE;
}

function trailingNumber(name: string): number | null {
  const m = /(\d+)$/u.exec(name);
  return m ? Number(m[1]) : null;
}

async function tfStructure(c: CheckpointFound, runDir: string): Promise<Structure> {
  const indexPath = `${c.path}.index`;
  let indexSize: number;
  try {
    indexSize = (await stat(indexPath)).size;
  } catch (e) {
    if (isMissing(e)) return { done: false, why: `${c.name}.index, which TensorFlow writes after the data shards` };
    throw e;
  }
  let bundle;
  try {
    bundle = await readTfBundle(indexPath, indexSize);
  } catch (e) {
    if (e instanceof WeightlineError && e.code === 'BAD_FORMAT') return { done: false, why: `${c.name}.index to parse (${e.message})` };
    throw e;
  }
  const shardEnds = new Map<number, number>();
  for (const entry of bundle.entries) {
    if (!entry.sliced) shardEnds.set(entry.shardId, Math.max(shardEnds.get(entry.shardId) ?? 0, entry.offset + entry.size));
  }
  const of = String(bundle.numShards).padStart(5, '0');
  for (let i = 0; i < bundle.numShards; i++) {
    const shard = `${c.name}.data-${String(i).padStart(5, '0')}-of-${of}`;
    let size: number;
    try {
      size = (await stat(join(runDir, shard))).size;
    } catch (e) {
      if (isMissing(e)) return { done: false, why: `${shard}, a data shard its index counts` };
      throw e;
    }
    const end = shardEnds.get(i) ?? 0;
    if (size < end) return { done: false, why: `${shard}: ${size} bytes, its index places data up to byte ${end}` };
  }

  const state = await readTfState(runDir);
  // No state file: tf.train.Checkpoint.write() without a manager; the index, written last, is the sign.
  if (!state || stateNames(state, c.path)) return DONE;
  // A save older than the newest one the state names, kept off its list (keep_checkpoint_every_n_hours) or from before a restart.
  const mine = trailingNumber(c.name);
  const latest = state.latest ? trailingNumber(basename(state.latest)) : null;
  if (mine !== null && latest !== null && mine < latest) return DONE;
  return { done: false, why: `the \`checkpoint\` state file to name ${c.name} (CheckpointManager rewrites it once the save is written)` };
}

async function fileStructure(c: CheckpointFound): Promise<Structure> {
  const check = await checkFile(c.path, c.name);
  return check.ok ? DONE : { done: false, why: `${c.name}: ${check.why}` };
}

async function structure(c: CheckpointFound, runDir: string): Promise<Structure> {
  switch (c.kind) {
    case 'folder': return hfStructure(c);
    case 'files': return tfStructure(c, runDir);
    case 'file': return fileStructure(c);
  }
}

async function newestMtime(c: CheckpointFound): Promise<number> {
  const files = c.kind === 'folder' ? await listFolderFiles(c.path) : c.kind === 'files' ? c.files : [c.path];
  let newest = 0;
  for (const f of files) {
    try {
      newest = Math.max(newest, (await stat(f)).mtimeMs);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }
  return newest;
}

export async function checkpointComplete(c: CheckpointFound, runDir: string): Promise<Completion> {
  const s = await structure(c, runDir);
  if (s.done) return { state: 'complete' };
  if (c.rewritten) return { state: 'writing', waitingFor: s.why };

  const mine = await newestMtime(c);
  const scan = await scanRun(runDir);
  for (const other of [...scan.checkpoints].reverse()) {
    if (other.name === c.name || other.rewritten) continue;
    if ((await newestMtime(other)) <= mine) continue;
    if ((await structure(other, runDir)).done) {
      const files = (c.kind === 'folder' ? await listFolderFiles(c.path) : c.files).map((f) => relative(runDir, f).split('\\').join('/'));
      return {
        state: 'corrupt',
        note: {
          code: 'BAD_FORMAT',
          message: `${c.name} will not complete: ${s.why}; the trainer has since finished ${other.name}`,
          files,
        },
      };
    }
  }
  return { state: 'writing', waitingFor: s.why };
}

/** Exposed for tests and for callers that want the structure alone. */
export { structure as checkpointStructure };
