// The sample history behind "Open a sample history" and `weightline demo DIR`:
// a small transformer-ish model fine-tuned for a few epochs, written as real
// safetensors and committed through the same commit()/restore() as a user's
// run, so every screen of the app has something true to show: CHECKPOINTs and
// DELTAs, a branch, frozen tensors next to a few that move a little each
// epoch (like an optimizer step), a LayerNorm, an I64 step counter.
// Deterministic model bytes (fixed seed); ~8.6 MB per version; a few seconds.
// A cleanup runs midway, as a user would, so the history shows commits rebuilt
// from deltas next to ones with full parameters, and the newest commits leave
// the cleanup preview something to offer.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { CommitId, ProgressListener } from '../../../src-shared/model';
import { Store } from '../store/store';
import { cleanup } from './cleanup';
import { commit } from './commit';
import { restore } from './restore';
import { rng } from '../../../src-shared/seeded-random';

export interface DemoResult {
  readonly root: string;
  /** Every commit made, in the order made. */
  readonly commits: readonly CommitId[];
  /** The model file inside the store root. */
  readonly modelPath: string;
}

const D = 192; // model width
const LAYERS = 4;
const VOCAB = 2048;
const CLASSES = 10;
const STEPS_PER_EPOCH = 1200;
const SEED = 20_240_611;

type Dtype = 'F32' | 'I64';
interface Tensor { readonly name: string; readonly dtype: Dtype; readonly shape: readonly number[]; data: Float32Array | BigInt64Array }


function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function initWeights(shape: readonly number[], rand: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  // Kaiming-like scale: what freshly initialised and lightly trained weights look like.
  const scale = 1 / Math.sqrt(shape[shape.length - 1] ?? 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * gaussian(rand);
  return a;
}

function filled(n: number, v: number): Float32Array {
  return new Float32Array(n).fill(v);
}

function baseModel(rand: () => number): Tensor[] {
  const t: Tensor[] = [{ name: 'embed.weight', dtype: 'F32', shape: [VOCAB, D], data: initWeights([VOCAB, D], rand) }];
  for (let l = 0; l < LAYERS; l++) {
    const p = `blocks.${l}`;
    t.push(
      { name: `${p}.ln1.weight`, dtype: 'F32', shape: [D], data: filled(D, 1) },
      { name: `${p}.ln1.bias`, dtype: 'F32', shape: [D], data: filled(D, 0) },
      { name: `${p}.attn.qkv.weight`, dtype: 'F32', shape: [3 * D, D], data: initWeights([3 * D, D], rand) },
      { name: `${p}.attn.proj.weight`, dtype: 'F32', shape: [D, D], data: initWeights([D, D], rand) },
      { name: `${p}.ln2.weight`, dtype: 'F32', shape: [D], data: filled(D, 1) },
      { name: `${p}.ln2.bias`, dtype: 'F32', shape: [D], data: filled(D, 0) },
      { name: `${p}.mlp.fc1.weight`, dtype: 'F32', shape: [4 * D, D], data: initWeights([4 * D, D], rand) },
      { name: `${p}.mlp.fc2.weight`, dtype: 'F32', shape: [D, 4 * D], data: initWeights([D, 4 * D], rand) },
    );
  }
  t.push(
    { name: 'ln_f.weight', dtype: 'F32', shape: [D], data: filled(D, 1) },
    { name: 'ln_f.bias', dtype: 'F32', shape: [D], data: filled(D, 0) },
    { name: 'head.weight', dtype: 'F32', shape: [CLASSES, D], data: initWeights([CLASSES, D], rand) },
    { name: 'head.bias', dtype: 'F32', shape: [CLASSES], data: filled(CLASSES, 0) },
    { name: 'train.step', dtype: 'I64', shape: [1], data: new BigInt64Array([0n]) },
  );
  return t;
}

/** Fine-tuning trains the top block's MLP and LayerNorm, the final LayerNorm and the head; the rest stays frozen. */
const TRAINED = /^(blocks\.3\.(mlp|ln2)\.|ln_f\.|head\.)/;
/** From epoch 4 on, the top block's attention is unfrozen too. */
const UNFROZEN_LATER = /^blocks\.3\.attn\./;

/** One epoch of optimizer steps: every trained element moves by a small, shrinking amount. */
async function trainEpoch(model: readonly Tensor[], epoch: number, lr: number, rand: () => number): Promise<void> {
  for (const t of model) {
    if (t.name === 'train.step') { (t.data as BigInt64Array)[0] = BigInt(epoch * STEPS_PER_EPOCH); continue; }
    if (!TRAINED.test(t.name) && !(epoch >= 4 && UNFROZEN_LATER.test(t.name))) continue;
    const a = t.data as Float32Array;
    const copy = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) copy[i] = a[i]! - lr * (gaussian(rand) + 0.1 * a[i]!);
    t.data = copy;
    // Let the event loop breathe between tensors (progress and cancel messages arrive meanwhile).
    await new Promise((r) => setImmediate(r));
  }
}

function safetensorsBytes(model: readonly Tensor[], metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of model) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' '; // the format pads the header to 8 bytes
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  // Little-endian on every platform Node runs on that we support (x64, arm64).
  return Buffer.concat([len, Buffer.from(json), ...model.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}

function snapshot(model: readonly Tensor[]): Tensor[] {
  return model.map((t) => ({ ...t, data: t.data.slice() }));
}

/**
 * Creates a store in dir (which must be missing or empty) holding a generated
 * fine-tuning run: 7 commits on the main line, with CHECKPOINTs at epoch 0 and 3,
 * and a 2-commit branch off epoch 2 trying a lower learning rate; a cleanup
 * after epoch 4. HEAD ends on the main line's newest commit.
 */
export interface DemoOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** Commits the sample history makes (for progress). */
const DEMO_COMMITS = 9;

export async function createDemoStore(dir: string, opts: DemoOptions = {}): Promise<DemoResult> {
  const root = path.resolve(dir);
  const existing = await fs.readdir(root).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw new WeightlineError('REFUSED', `cannot use it for the sample history: ${e.message}`, root);
  });
  if (existing.length > 0) throw new WeightlineError('REFUSED', `expected a missing or empty folder for the sample history, found ${existing.length} entries in it`, root);
  await fs.mkdir(path.join(root, 'run'), { recursive: true });
  await fs.writeFile(path.join(root, 'README.txt'), 'A sample Weightline history, made by "weightline demo" / "Open a sample history".\nThe model is run/model.safetensors; its versions live in .weightline/.\n');
  const store = await Store.init(root);
  const modelPath = path.join(root, 'run', 'model.safetensors');
  const rand = rng(SEED);
  const commits: CommitId[] = [];

  const save = async (model: readonly Tensor[], epoch: number, lr: number, message: string, checkpoint = false): Promise<CommitId> => {
    if (opts.signal?.aborted) throw new WeightlineError('CANCELLED', 'making the sample history was cancelled; delete its folder to start again', root);
    const bytes = safetensorsBytes(model, { epoch: String(epoch), lr: String(lr), format: 'pt' });
    await fs.writeFile(modelPath, bytes);
    const res = await commit(store, modelPath, { message, checkpoint, ...(opts.signal ? { signal: opts.signal } : {}) });
    commits.push(res.id);
    opts.onProgress?.({ phase: 'making the sample history', bytesDone: commits.length * bytes.length, bytesTotal: DEMO_COMMITS * bytes.length });
    return res.id;
  };

  const model = baseModel(rand);
  await save(model, 0, 0, 'epoch 0: pretrained base, fine-tuning blocks.3 MLP + head');
  const lrAt = (epoch: number): number => 1e-3 * 0.5 * (1 + Math.cos((Math.PI * epoch) / 8)); // cosine decay
  let branchPoint: { model: Tensor[]; id: CommitId } | undefined;
  for (let epoch = 1; epoch <= 3; epoch++) {
    await trainEpoch(model, epoch, lrAt(epoch), rand);
    const id = await save(model, epoch, lrAt(epoch), `epoch ${epoch}: val loss ${(2.3 / (1 + 0.35 * epoch)).toFixed(3)}`, epoch === 3);
    if (epoch === 2) branchPoint = { model: snapshot(model), id };
  }

  // The branch: back to epoch 2, try a lower learning rate for two epochs.
  await restore(store, branchPoint!.id);
  const side = branchPoint!.model;
  for (let epoch = 3; epoch <= 4; epoch++) {
    await trainEpoch(side, epoch, lrAt(epoch) * 0.3, rand);
    await save(side, epoch, lrAt(epoch) * 0.3, `epoch ${epoch} (lr x0.3 experiment): val loss ${(2.3 / (1 + 0.3 * epoch)).toFixed(3)}`);
  }

  // Back to the main line (its newest commit), and carry on training there.
  await restore(store, commits[3]!);
  for (let epoch = 4; epoch <= 6; epoch++) {
    await trainEpoch(model, epoch, lrAt(epoch), rand);
    await save(model, epoch, lrAt(epoch), `epoch ${epoch}: val loss ${(2.3 / (1 + 0.35 * epoch)).toFixed(3)}${epoch === 4 ? ', unfroze blocks.3.attn' : ''}`);
    if (epoch === 4) await cleanup(store);
  }
  return { root: store.root, commits, modelPath };
}
