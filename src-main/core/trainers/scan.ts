// scanRun: the checkpoints a trainer's output folder holds now, by the names
// each trainer gives them (docs/TRAINERS.md lists the layouts and the save
// code they were read from). Only names and stat() are read here; whether a
// checkpoint is finished is completion.ts's question.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointFound, RunScan, TrainerLayout } from './checkpoint';
import {
  extensionOf, HF_FOLDER, isFixedName, isScratchName, KERAS_EXTENSIONS, LIGHTNING_EXTENSION, metaFromStem,
  PLAIN_EXTENSIONS, SIZE_SHARD, stemOf, TF_DATA, TF_INDEX, TF_STATE_FILE,
} from './names';

/** A checkpoint folder holds a handful of files; a bound keeps a mistaken folder (a dataset) from being walked whole. */
const MAX_FOLDER_FILES = 10_000;
const MAX_FOLDER_DEPTH = 4;

/** When a run mixes layouts, the one named first is the run's. */
const LAYOUT_PRIORITY: readonly TrainerLayout[] = ['hf-trainer', 'tf-checkpoint', 'lightning', 'keras', 'plain'];

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Every file under a checkpoint folder (scratch names left out), absolute paths, sorted. */
export async function listFolderFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return; // the trainer's rotation removed it while we looked
      throw e;
    }
    for (const e of entries) {
      if (isScratchName(e.name) || out.length >= MAX_FOLDER_FILES) continue;
      const p = join(at, e.name);
      if (e.isDirectory()) {
        if (depth < MAX_FOLDER_DEPTH) await walk(p, depth + 1);
      } else if (e.isFile() || e.isSymbolicLink()) {
        out.push(p);
      }
    }
  };
  await walk(dir, 0);
  return out.sort();
}

async function mtimeMs(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Which layout a single file's name puts it in, or null for a file that is no checkpoint. */
function fileLayout(name: string): { layout: TrainerLayout; extension: string } | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(LIGHTNING_EXTENSION) && name.length > LIGHTNING_EXTENSION.length) return { layout: 'lightning', extension: LIGHTNING_EXTENSION };
  const keras = extensionOf(name, KERAS_EXTENSIONS);
  if (keras) return { layout: 'keras', extension: keras };
  const plain = extensionOf(name, PLAIN_EXTENSIONS);
  if (plain) return { layout: 'plain', extension: plain };
  return null;
}

export async function scanRun(dir: string): Promise<RunScan> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return { layout: null, checkpoints: [] };
    throw e;
  }
  const found: CheckpointFound[] = [];
  const names = entries.filter((e) => !isScratchName(e.name));
  const hasHfFolders = names.some((e) => e.isDirectory() && HF_FOLDER.test(e.name));

  // TF bundles: group `<prefix>.index` and `<prefix>.data-*` by prefix. An
  // `.index` alone is someone else's file unless a data shard or the state
  // file says TensorFlow wrote it.
  const tfPrefixes = new Map<string, string[]>();
  const hasTfState = names.some((e) => e.isFile() && e.name === TF_STATE_FILE);
  for (const e of names) {
    if (!e.isFile()) continue;
    const data = TF_DATA.exec(e.name);
    const prefix = data ? data[1]! : TF_INDEX.exec(e.name)?.[1];
    if (prefix === undefined) continue;
    const list = tfPrefixes.get(prefix) ?? [];
    list.push(e.name);
    tfPrefixes.set(prefix, list);
  }
  for (const [prefix, files] of [...tfPrefixes]) {
    if (!hasTfState && !files.some((f) => TF_DATA.test(f))) tfPrefixes.delete(prefix);
  }
  const tfFiles = new Set([...tfPrefixes.values()].flat());

  for (const e of names) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const hf = HF_FOLDER.exec(e.name);
      if (!hf) continue;
      const step = Number(hf[1]);
      if (!Number.isSafeInteger(step)) continue;
      found.push({ name: e.name, layout: 'hf-trainer', kind: 'folder', path, files: await listFolderFiles(path), step, order: step, rewritten: false });
      continue;
    }
    if (!e.isFile() || tfFiles.has(e.name)) continue;
    const kind = fileLayout(e.name);
    if (!kind) continue;
    // A size shard is a part of one save, not a save; and in an HF run the
    // top-level weights are save_model()'s final copy of a checkpoint folder.
    if (SIZE_SHARD.test(e.name.toLowerCase())) continue;
    if (hasHfFolders && kind.layout === 'plain') continue;
    const stem = stemOf(e.name, kind.extension);
    const meta = metaFromStem(stem);
    const rewritten = isFixedName(stem, meta);
    const mtime = (await mtimeMs(path)) ?? 0;
    const order = rewritten ? mtime : (meta.step ?? meta.epoch ?? meta.number ?? mtime);
    found.push({ name: e.name, layout: kind.layout, kind: 'file', path, files: [path], step: rewritten ? null : (meta.step ?? null), order, rewritten });
  }

  for (const [prefix, files] of tfPrefixes) {
    const meta = metaFromStem(prefix);
    const path = join(dir, prefix);
    const order = meta.step ?? meta.number ?? (await mtimeMs(join(dir, files[0]!))) ?? 0;
    found.push({
      name: prefix, layout: 'tf-checkpoint', kind: 'files', path,
      files: files.sort().map((f) => join(dir, f)), step: meta.step ?? null, order, rewritten: false,
    });
  }

  found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  const counts = new Map<TrainerLayout, number>();
  for (const c of found) counts.set(c.layout, (counts.get(c.layout) ?? 0) + 1);
  const layout = LAYOUT_PRIORITY.find((l) => counts.has(l)) ?? null;
  return { layout, checkpoints: found };
}
