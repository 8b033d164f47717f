// The steps of a chaos sequence as plain records, so fast-check can generate,
// print and shrink them, and a printed sequence can be replayed as JSON
// (WEIGHTLINE_CHAOS_STEPS). Every reference to a commit, a file or a path is a
// number taken modulo what exists when the step runs, so any subsequence of a
// sequence (what shrinking tries) is still a valid sequence.

import fc from 'fast-check';
import type { ModelChange } from './chaos-model';

export type ChaosLink = 'auto' | 'copy' | 'hardlink' | 'symlink' | 'reflink';
export type DamageHow = 'flip' | 'truncate' | 'delete' | 'garbage' | 'json';
export type DamageWhere = 'object' | 'manifest' | 'meta';
export type KillOp = 'commit' | 'cleanup' | 'restore';

export type Step =
  /** Change the model (written by temp + rename), commit it; file 0 is the usual path, 1 and 2 new names. */
  | { readonly t: 'commit'; readonly change: ModelChange; readonly file: number; readonly checkpoint: boolean; readonly seed: number }
  /** Restore an older commit to its own path, then commit a change on top of it: a second line of history. */
  | { readonly t: 'branch'; readonly pick: number; readonly change: ModelChange; readonly seed: number }
  /** Restore a commit to its own path or to a side path, in a link mode. */
  | { readonly t: 'restore'; readonly pick: number; readonly link: ChaosLink; readonly side: number | null; readonly force: boolean }
  /** A program writes into a file restored by link, in place (patch some bytes, or truncate and rewrite as cp does). */
  | { readonly t: 'write'; readonly target: number; readonly how: 'patch' | 'overwrite'; readonly seed: number }
  | { readonly t: 'pin'; readonly pick: number; readonly pinned: boolean }
  | { readonly t: 'config'; readonly maxChainLength: number; readonly maxRouteRead: number; readonly keepFullLatest: number; readonly autoCleanup: boolean }
  | { readonly t: 'cleanup' }
  /**
   * Damage one file under .weightline: the target-th file of its kind, or (in
   * named scenarios) `file` (relative to .weightline) or the full object (the
   * manifest, with where = 'manifest') of commit number `of`; `json` is the text written by how = 'json'.
   */
  | { readonly t: 'damage'; readonly where: DamageWhere; readonly target: number; readonly how: DamageHow; readonly seed: number; readonly file?: string; readonly of?: number; readonly json?: string }
  /** Run a CLI command in a child process and SIGKILL it after frac × its usual run time. */
  /** Fill the disk the store is on (a filler file next to the store root) up to `leaveKb` free, or remove the filler. */
  | { readonly t: 'fill'; readonly leaveKb: number | null }
  | { readonly t: 'kill'; readonly op: KillOp; readonly frac: number; readonly pick: number; readonly link: 'auto' | 'copy' | 'hardlink' | 'symlink'; readonly seed: number };

export interface StepMix {
  /** Damage to store files and in-place writes into linked files. */
  readonly damage: boolean;
  /** kill -9 of CLI commands (each costs a child process, ~1-2 s). */
  readonly kill: boolean;
  /** Fill the store's disk (only where the store is on its own small file system). */
  readonly fill?: boolean;
  readonly minLength: number;
  readonly maxLength: number;
  /** Step kinds (commit, restore, write, damage, kill, ...) or damage targets (object, manifest, meta) never generated: to look past a known bug. */
  readonly skip?: readonly string[];
}

const change = fc.constantFrom<ModelChange>('dense', 'sparse', 'sparse', 'add', 'remove', 'same');
const seed = fc.nat({ max: 1_000_000 });
const pick = fc.nat({ max: 999 });

export function stepArb(mix: StepMix): fc.Arbitrary<Step> {
  const arbs: fc.WeightedArbitrary<Step>[] = [
    { weight: 7, arbitrary: fc.record({ t: fc.constant('commit' as const), change, file: fc.constantFrom(0, 0, 0, 0, 1, 2), checkpoint: fc.constantFrom(false, false, false, false, true), seed }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('branch' as const), pick, change, seed }) },
    {
      weight: 4,
      arbitrary: fc.record({
        t: fc.constant('restore' as const), pick,
        link: fc.constantFrom<ChaosLink>('auto', 'copy', 'hardlink', 'hardlink', 'symlink', 'symlink', 'reflink'),
        side: fc.option(fc.nat({ max: 2 }), { freq: 2, nil: null }),
        force: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('pin' as const), pick, pinned: fc.boolean() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('config' as const),
        maxChainLength: fc.integer({ min: 1, max: 6 }),
        maxRouteRead: fc.constantFrom(0.3, 1, 4),
        keepFullLatest: fc.integer({ min: 0, max: 3 }),
        autoCleanup: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ t: 'cleanup' as const }) },
  ];
  if (mix.damage) {
    arbs.push(
      { weight: 3, arbitrary: fc.record({ t: fc.constant('write' as const), target: pick, how: fc.constantFrom<'patch' | 'overwrite'>('patch', 'overwrite'), seed }) },
      {
        weight: 3,
        arbitrary: fc.record({
          t: fc.constant('damage' as const),
          where: fc.constantFrom<DamageWhere>('object', 'object', 'manifest', 'meta', 'meta'),
          target: pick,
          how: fc.constantFrom<DamageHow>('flip', 'truncate', 'delete', 'garbage', 'json'),
          seed,
        }),
      },
    );
  }
  if (mix.kill) {
    arbs.push({
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('kill' as const),
        op: fc.constantFrom<KillOp>('commit', 'commit', 'cleanup', 'restore'),
        frac: fc.double({ min: 0, max: 1, noNaN: true }),
        pick,
        link: fc.constantFrom<'auto' | 'copy' | 'hardlink' | 'symlink'>('auto', 'copy', 'hardlink', 'symlink'),
        seed,
      }),
    });
  }
  if (mix.fill) {
    arbs.push({ weight: 3, arbitrary: fc.record({ t: fc.constant('fill' as const), leaveKb: fc.constantFrom<number | null>(0, 0, 64, 5000, 9000, null) }) });
  }
  const skip = new Set(mix.skip ?? []);
  const all = fc.oneof(...arbs);
  return skip.size ? all.filter((s) => !skip.has(s.t) && !(s.t === 'damage' && skip.has(s.where))) : all;
}

export function sequenceArb(mix: StepMix): fc.Arbitrary<Step[]> {
  return fc.array(stepArb(mix), { minLength: mix.minLength, maxLength: mix.maxLength });
}

export function describeStep(s: Step): string {
  switch (s.t) {
    case 'commit': return `commit (${s.change}${s.file ? `, file #${s.file}` : ''}${s.checkpoint ? ', --checkpoint' : ''})`;
    case 'branch': return `branch from commit pick ${s.pick} (${s.change})`;
    case 'restore': return `restore pick ${s.pick} --link ${s.link}${s.side === null ? '' : ` --to side-${s.side}`}${s.force ? ' --force' : ''}`;
    case 'write': return `in-place ${s.how} of linked file #${s.target}`;
    case 'pin': return `${s.pinned ? 'pin' : 'unpin'} pick ${s.pick}`;
    case 'config': return `config maxChainLength=${s.maxChainLength} maxRouteRead=${s.maxRouteRead} keepFullLatest=${s.keepFullLatest} autoCleanup=${s.autoCleanup}`;
    case 'cleanup': return 'cleanup';
    case 'damage': return `damage ${s.file ?? (s.of !== undefined ? `${s.where === 'manifest' ? 'manifest' : 'full object'} of #${s.of}` : `${s.where} #${s.target}`)} (${s.how}${s.json ? ` ${s.json}` : ''})`;
    case 'fill': return s.leaveKb === null ? 'free the disk' : `fill the disk to ${s.leaveKb} KB free`;
    case 'kill': return `kill -9 ${s.op} at ${(s.frac * 100).toFixed(0)}%`;
  }
}
