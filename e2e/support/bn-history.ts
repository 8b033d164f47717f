// A small convolutional model with BatchNorm, as a torchvision ResNet names
// its tensors ("layer1.0.bn1.running_mean", "…num_batches_tracked"), plus
// transformer-style names whose ends alone tell them apart ("blocks.3.mlp.fc1"
// vs "fc2"). Two commits: the second moves the learned weights a little
// (relative changes around 1e-4 to 1e-2) and the running statistics a lot, as
// a training epoch does.
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { rng, safetensors, type SpecTensor as Tensor } from './model-bytes';
import { cliJson } from './weightline';




export interface BnHistory {
  readonly root: string;
  readonly modelPath: string;
  /** Oldest first. */
  readonly commits: readonly string[];
  /** Tensor name -> relative change applied in the second commit (0: unchanged). */
  readonly moved: ReadonlyMap<string, number>;
}

const LEARNED: readonly [string, number, number][] = [
  // name, elements, relative change in commit 2
  ['conv1.weight', 4096, 0.004],
  ['layer1.0.conv1.weight', 8192, 0.0021],
  ['layer1.0.bn1.weight', 64, 0.01],
  ['layer1.0.bn1.bias', 64, 0.012],
  ['layer1.0.conv2.weight', 8192, 0],
  ['blocks.3.mlp.fc1.weight', 16384, 0.00139],
  ['blocks.3.mlp.fc2.weight', 16384, 0.0002],
  ['model.encoder.layers.11.self_attention.query_key_value.weight', 12288, 0.0007],
  ['fc.weight', 1000, 0.03],
];
const STATS: readonly [string, number, number][] = [
  ['layer1.0.bn1.running_mean', 64, 0.35],
  ['layer1.0.bn1.running_var', 64, 0.28],
];

export async function bnHistory(root: string): Promise<BnHistory> {
  await mkdir(root, { recursive: true });
  await cliJson(root, 'init');
  const modelPath = path.join(root, 'resnet.safetensors');
  const rand = rng(11);
  const learned = LEARNED.map(([name, n]) => ({ name, data: new Float32Array(n).map(() => 0.1 * (rand() - 0.5)) }));
  const stats = STATS.map(([name, n]) => ({ name, data: new Float32Array(n).map(() => 0.5 + rand()) }));
  const counter = { name: 'layer1.0.bn1.num_batches_tracked', data: BigInt64Array.of(100n) };
  const all = (): Tensor[] => [...learned, ...stats, counter];
  const ids: string[] = [];
  await writeFile(modelPath, safetensors(all()));
  ids.push((await cliJson<{ id: string }>(root, 'commit', modelPath, '-m', 'epoch 0: ImageNet init')).id);

  const moved = new Map<string, number>();
  // Scale a tensor's values by (1 + r): its relative L2 change is exactly r.
  for (const [i, [name, , r]] of LEARNED.entries()) {
    moved.set(name, r);
    if (r > 0) learned[i]!.data = learned[i]!.data.map((v) => v * (1 + r));
  }
  for (const [i, [name, , r]] of STATS.entries()) {
    moved.set(name, r);
    stats[i]!.data = stats[i]!.data.map((v) => v * (1 + r));
  }
  counter.data = BigInt64Array.of(200n);
  moved.set(counter.name, 1);
  await writeFile(modelPath, safetensors(all()));
  ids.push((await cliJson<{ id: string }>(root, 'commit', modelPath, '-m', 'epoch 1: fine-tune, val acc 71.2%')).id);
  return { root, modelPath, commits: ids, moved };
}
