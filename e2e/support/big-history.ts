// A synthetic 10,000-commit history (with side branches) and a 10,000-tensor
// version, in the shapes the API returns, for the scale tests. Figures are
// made up; only the sizes of the lists matter here.
import type { LogEntryJson } from './weightline';

const hex = (n: number): string => n.toString(16).padStart(8, '0').repeat(8);

export function bigHistory(count: number): { head: string; commits: LogEntryJson[] } {
  const oldestFirst: LogEntryJson[] = [];
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  let mainTip: string | null = null;
  for (let i = 0; i < count; i++) {
    // Every 40 commits, a 3-commit experiment branches off the main line
    // (its first commit's parent, i - 1, is on the main line) and ends there.
    const onBranch = i % 40 >= 37;
    const parent = onBranch ? oldestFirst[i - 1]!.id : mainTip;
    const checkpoint = i % 25 === 0;
    const id = hex(i + 1);
    oldestFirst.push({
      id, parent, type: checkpoint ? 'CHECKPOINT' : 'DELTA',
      message: onBranch ? `experiment ${Math.floor(i / 40)}: step ${i % 40}` : `step ${i}: val loss ${(2 / Math.log(i + 3)).toFixed(3)}`,
      createdAt: new Date(t0 + i * 60_000).toISOString(),
      logicalBytes: 500_000_000, fullBytes: checkpoint ? 500_000_000 : 0, deltaBytes: checkpoint ? 0 : 12_000_000 + (i % 7) * 1_000_000,
      path: 'run/model.safetensors', hasFull: checkpoint, chainLength: checkpoint ? 0 : i % 25, pinned: i % 997 === 0,
    });
    if (!onBranch) mainTip = id;
  }
  const commits = oldestFirst.reverse();
  return { head: commits[0]!.id, commits };
}

export function bigShow(entry: LogEntryJson, tensors: number): unknown {
  return {
    ...entry,
    files: [{
      path: 'model.safetensors', bytes: entry.logicalBytes, sha256: '0'.repeat(64), format: 'safetensors', status: 'changed',
      tensors: Array.from({ length: tensors }, (_, i) => {
        const changed = i % 3 === 0;
        return {
          name: `model.layers.${Math.floor(i / 12)}.${['attn.q', 'attn.k', 'attn.v', 'attn.o', 'mlp.up', 'mlp.down'][i % 6]}.${i % 12 < 6 ? 'weight' : 'bias'}`,
          dtype: 'BF16', shape: [1024, 64 + (i % 5)], bytes: 2 * 1024 * (64 + (i % 5)),
          status: changed ? 'changed' : 'unchanged', changedFraction: changed ? 0.4 : 0, maxAbsDiff: changed ? 0.01 : 0, relChange: changed ? (i % 97) / 1000 : 0,
        };
      }),
    }],
  };
}
