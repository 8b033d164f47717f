// A small history made with the CLI for the repair specs: a CHECKPOINT and a
// few DELTAs of one safetensors file whose steps change a fraction of the
// weights (so the deltas are XOR blocks and a version can be rebuilt backward
// from a child as well as forward from a parent), and a way to damage a
// stored object as a bad disk or a write through a link would.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { rng, safetensors } from './model-bytes';
import { cliJson } from './weightline';



export interface SmallHistory {
  readonly root: string;
  readonly modelPath: string;
  /** Commit ids, oldest first; the first is a CHECKPOINT. */
  readonly commits: readonly string[];
}

/** `weightline init` in root, then `commits` commits of root/model.safetensors (about 2.4 MB each). */
export async function smallHistory(root: string, commits = 4): Promise<SmallHistory> {
  await mkdir(root, { recursive: true });
  await cliJson(root, 'init');
  const modelPath = path.join(root, 'model.safetensors');
  const rand = rng(7);
  const n = 300_000;
  const frozen = new Float32Array(n).map(() => 0.02 * (rand() - 0.5));
  const trained = new Float32Array(n).map(() => 0.02 * (rand() - 0.5));
  const ids: string[] = [];
  for (let i = 0; i < commits; i++) {
    await writeFile(modelPath, safetensors([{ name: 'frozen', data: frozen }, { name: 'trained', data: trained }]));
    ids.push((await cliJson<{ id: string }>(root, 'commit', modelPath, '-m', `epoch ${i}: val loss ${(1.8 - i * 0.2).toFixed(2)}`)).id);
    // An optimizer-like step on a fifth of the trained weights.
    for (let j = 0; j < n; j++) if (rand() < 0.2) trained[j] = trained[j]! + 1e-5 * (rand() - 0.5);
  }
  return { root, modelPath, commits: ids };
}

export function objectPath(root: string, sha: string): string {
  return path.join(root, '.weightline', 'objects', sha.slice(0, 2), sha.slice(2));
}

/** Flips one byte in the middle of a stored object (objects are read-only: a bad disk does not ask). */
export async function flipByte(file: string): Promise<void> {
  await chmod(file, 0o644);
  const buf = await readFile(file);
  const at = Math.floor(buf.length / 2);
  buf[at] = buf[at]! ^ 0xff;
  await writeFile(file, buf);
  await chmod(file, 0o444);
}
