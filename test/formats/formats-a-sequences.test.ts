// The GGUF, legacy torch and Keras/HDF5 fine-tuning sequences
// (test/fixtures/make_formats_a.py) through the store: each step commits as a
// DELTA with per-tensor figures, stores fewer bytes than `xdelta3 -e -s
// previous current`, and every version restores bit-exact, also after the
// full parameters of a middle version are deleted. Broken files of each format
// are refused with BAD_FORMAT and leave the store as it was.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { show } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { WeightlineError } from '../../src-shared/errors';
import { sha256Of, snapshotTree, useScratch } from '../helpers/models';
import { FIXTURES } from './helpers';

const scratch = useScratch();

interface Sequence {
  readonly format: string;
  readonly folder: string;
  readonly files: readonly string[];
  /** What the working file is called in the store. */
  readonly as: string;
}

const SEQUENCES: readonly Sequence[] = [
  { format: 'gguf', folder: 'gguf', files: ['ckpt-0001.gguf', 'ckpt-0002.gguf', 'ckpt-0003.gguf', 'ckpt-0004.gguf'], as: 'model.gguf' },
  { format: 'pytorch-legacy', folder: 'pytorch-legacy', files: ['ckpt-0001.pt', 'ckpt-0002.pt', 'ckpt-0003.pt'], as: 'model.pt' },
  { format: 'hdf5', folder: 'keras', files: ['keras2-0001.h5', 'keras2-0002.h5', 'keras2-0003.h5'], as: 'model.h5' },
  { format: 'hdf5', folder: 'keras', files: ['keras3-0001.weights.h5', 'keras3-0002.weights.h5', 'keras3-0003.weights.h5'], as: 'model.weights.h5' },
  { format: 'keras', folder: 'keras', files: ['keras3-0001.keras', 'keras3-0002.keras', 'keras3-0003.keras'], as: 'model.keras' },
];

const sizeOf = (cmd: string, args: string[]): number => execFileSync(cmd, args, { maxBuffer: 1 << 30 }).length;

async function storeState(store: Store): Promise<{ commits: string[]; head: string | null; tree: Record<string, number> }> {
  const { 'log-index.json': _derived, ...tree } = await snapshotTree(store.dir);
  return { commits: [...(await store.listCommitIds())].sort(), head: await store.readHead(), tree };
}

describe('fine-tuning sequences of GGUF, legacy torch and Keras/HDF5 files', () => {
  for (const seq of SEQUENCES) {
    it(`${seq.files[0]}..: DELTAs with per-tensor figures, smaller than xdelta3, restored bit-exact`, async () => {
      const root = scratch();
      const store = await Store.init(root);
      const file = path.join(root, seq.as);
      const ids: string[] = [];
      const shas: string[] = [];
      const rows: string[] = [];
      for (const [i, name] of seq.files.entries()) {
        const src = path.join(FIXTURES, seq.folder, name);
        await fs.copyFile(src, file);
        shas.push(await sha256Of(file));
        const c = await commit(store, file, { message: name });
        ids.push(c.id);
        const shown = await show(store, c.id);
        expect(shown.files[0]!.format).toBe(seq.format);
        expect(shown.files[0]!.tensors.length).toBeGreaterThan(0);
        if (i === 0) continue;
        expect(c.type, `${name} commits as a DELTA`).toBe('DELTA');
        const changed = shown.files[0]!.tensors.filter((t) => t.status === 'changed');
        expect(changed.length, `${name} has changed tensors`).toBeGreaterThan(0);
        expect(changed.some((t) => t.maxAbsDiff !== null), `${name} has decoded figures`).toBe(true);
        const prev = path.join(FIXTURES, seq.folder, seq.files[i - 1]!);
        const xdelta = sizeOf('xdelta3', ['-e', '-c', '-s', prev, src]);
        const zstd = sizeOf('zstd', ['-q', '-c', `--patch-from=${prev}`, src]);
        rows.push(`${name}: weightline ${c.deltaBytes}, xdelta3 ${xdelta}, zstd --patch-from ${zstd} (of ${c.logicalBytes})`);
        expect(c.deltaBytes, `${name}: weightline ${c.deltaBytes} vs xdelta3 ${xdelta}`).toBeLessThan(xdelta);
      }
      console.log(`[deltas] ${seq.as}\n  ${rows.join('\n  ')}`);

      // A middle version loses its full parameters: it must come back from its delta.
      const middle = await show(store, ids[1]!);
      await fs.rm(store.objectPath(middle.files[0]!.sha256), { force: true });
      for (const [i, id] of ids.entries()) {
        const to = path.join(root, `restored-${i}`);
        await restore(store, id, { to });
        expect(await sha256Of(to), `version ${i + 1} restores bit-exact`).toBe(shas[i]);
      }
    }, 120_000);

    it(`${seq.as}: a truncated and a damaged file are refused with BAD_FORMAT, the store unchanged`, async () => {
      const root = scratch();
      const store = await Store.init(root);
      const file = path.join(root, seq.as);
      await fs.copyFile(path.join(FIXTURES, seq.folder, seq.files[0]!), file);
      await commit(store, file, { message: 'v1' });
      const before = await storeState(store);
      const good = await fs.readFile(path.join(FIXTURES, seq.folder, seq.files[1]!));
      const damaged = Buffer.from(good);
      // The first bytes are the magic or signature; in a .keras zip, the HDF5 image's signature.
      const at = seq.format === 'keras' ? good.indexOf(Buffer.from('\x89HDF', 'latin1')) : 0;
      expect(at).toBeGreaterThanOrEqual(0);
      damaged.fill(0xff, at, at + 8);
      for (const bytes of [good.subarray(0, good.length - 1), good.subarray(0, Math.floor(good.length / 3)), damaged]) {
        await fs.writeFile(file, bytes);
        const e = await commit(store, file, { message: 'bad' }).then(() => null, (err: unknown) => err);
        expect(e).toBeInstanceOf(WeightlineError);
        expect((e as WeightlineError).code).toBe('BAD_FORMAT');
        expect((e as WeightlineError).message).toContain(seq.as);
        expect(await storeState(store)).toEqual(before);
      }
    }, 60_000);
  }
});
