import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { rng, sha256Of, useScratch, WIDTH, writeSafetensors, type TestDtype, type TestTensor } from '../helpers/models';

// Random histories of models: dtypes including bf16, f16 and i64; tensors
// added, removed, changed sparsely or densely, or left alone. Every version
// must come back bit-exact, from its full parameters and rebuilt from deltas.

const scratch = useScratch();

type Edit = { kind: 'keep' } | { kind: 'sparse'; fraction: number } | { kind: 'dense' } | { kind: 'remove' } | { kind: 'reshape' };

const dtypeArb = fc.constantFrom<TestDtype>('F32', 'BF16', 'F16', 'I64', 'F64', 'U8');
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.constant({ kind: 'keep' } as const),
  fc.double({ min: 0.001, max: 0.2, noNaN: true }).map((fraction) => ({ kind: 'sparse', fraction }) as const),
  fc.constant({ kind: 'dense' } as const),
  fc.constant({ kind: 'remove' } as const),
  fc.constant({ kind: 'reshape' } as const),
);
const stepArb = fc.record({
  edits: fc.array(editArb, { minLength: 1, maxLength: 6 }),
  added: fc.array(fc.record({ dtype: dtypeArb, n: fc.integer({ min: 0, max: 3000 }) }), { maxLength: 2 }),
  checkpoint: fc.boolean().map((b) => b && Math.random() < 0.2),
});

function randomBytes(n: number, seed: number): Buffer {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function apply(tensors: TestTensor[], edits: readonly Edit[], seed: number): TestTensor[] {
  const r = rng(seed);
  const out: TestTensor[] = [];
  tensors.forEach((t, i) => {
    const e = edits[i % edits.length]!;
    switch (e.kind) {
      case 'keep': out.push(t); break;
      case 'remove': break;
      case 'reshape': out.push({ ...t, shape: [t.data.length / WIDTH[t.dtype]] }); break;
      case 'sparse': case 'dense': {
        const data = Buffer.from(t.data);
        for (let k = 0; k < data.length; k++) if (e.kind === 'dense' || r() < e.fraction) data[k] = data[k]! ^ (1 << Math.floor(r() * 8));
        out.push({ ...t, data });
      }
    }
  });
  return out;
}

describe('property: random model histories restore bit-exact', () => {
  it('at every step, from full parameters and from deltas', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ dtype: dtypeArb, n: fc.integer({ min: 1, max: 5000 }) }), { minLength: 1, maxLength: 5 }),
      fc.array(stepArb, { minLength: 1, maxLength: 5 }),
      async (initial, steps) => {
        run++;
        const root = scratch();
        const store = await Store.init(root);
        const file = path.join(root, 'model.safetensors');
        let tensors: TestTensor[] = initial.map((t, i) => ({ name: `t${i}`, dtype: t.dtype, shape: [t.n], data: randomBytes(t.n * WIDTH[t.dtype], run * 1000 + i) }));
        const history: Array<{ id: string; sha: string }> = [];
        let fresh = 100;
        for (let s = 0; s <= steps.length; s++) {
          if (s > 0) {
            const step = steps[s - 1]!;
            tensors = apply(tensors, step.edits, run * 77 + s);
            for (const a of step.added) tensors.push({ name: `new${fresh++}`, dtype: a.dtype, shape: [a.n], data: randomBytes(a.n * WIDTH[a.dtype], fresh) });
          }
          await writeSafetensors(file, tensors);
          const c = await commit(store, file, { message: `step ${s}`, checkpoint: s > 0 && steps[s - 1]!.checkpoint });
          history.push({ id: c.id, sha: await sha256Of(file) });
        }
        for (const [i, h] of history.entries()) {
          const out = path.join(root, 'out', `full-${i}.safetensors`);
          await restore(store, h.id, { to: out });
          expect(await sha256Of(out)).toBe(h.sha);
        }
        // Now drop every full object but the first commit's and rebuild all from deltas.
        const keep = new Set((await store.readManifest(history[0]!.id)).files.map((f) => f.sha256));
        for (const h of history.slice(1)) {
          const m = await store.readManifest(h.id);
          if (m.type === 'CHECKPOINT') m.files.forEach((f) => keep.add(f.sha256));
        }
        const { rm } = await import('node:fs/promises');
        for (const h of history) for (const f of (await store.readManifest(h.id)).files) if (!keep.has(f.sha256)) await rm(store.objectPath(f.sha256), { force: true });
        for (const [i, h] of history.entries()) {
          const out = path.join(root, 'out', `delta-${i}.safetensors`);
          await restore(store, h.id, { to: out });
          expect(await sha256Of(out)).toBe(h.sha);
        }
      },
    ), { numRuns: 25 });
  }, 240_000);
});
