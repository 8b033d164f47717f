// A model saved again with the bytes HEAD holds (new mtime, so the stat cache
// misses) is compared against the parent's full object while it is read, and
// nothing is written for it (ops/commit.ts copyHashing). These pin that the
// answer and the stored bytes are what the plain copy gave: unchanged stays
// unchanged, and a file that differs late (in its last byte, past the first
// 4 MiB chunk) is stored whole, its equal prefix taken from the parent.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commit } from '../../src-main/core/ops/commit';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, rng, safetensorsBytes, sha256Of, snapshotTree, useScratch } from '../helpers/models';

const scratch = useScratch();

/** A store whose HEAD is a checkpoint of a 6 MB model (two copy chunks), and that model's bytes. */
async function committed(): Promise<{ store: Store; file: string; bytes: Buffer }> {
  const root = scratch();
  const store = await Store.init(root);
  const file = path.join(root, 'm.safetensors');
  const bytes = safetensorsBytes([{ name: 'w', dtype: 'F32', shape: [1_500_000], data: gaussianF32(1_500_000, rng(22)) }]);
  await fs.writeFile(file, bytes);
  await commit(store, file, { message: 'one', checkpoint: true });
  return { store, file, bytes };
}

/** Writes the file again and moves its mtime on, as a training script saving it would. */
async function saveAgain(file: string, bytes: Buffer): Promise<void> {
  await fs.writeFile(file, bytes);
  const later = new Date(Date.now() + 5000);
  await fs.utimes(file, later, later);
}

describe('commit of the same bytes saved again', () => {
  it('says unchanged and writes nothing to objects/', async () => {
    const { store, file, bytes } = await committed();
    const before = await snapshotTree(path.join(store.dir, 'objects'));
    const head = await fs.readFile(path.join(store.dir, 'HEAD'), 'utf8');
    await saveAgain(file, bytes);
    const again = await commit(store, file, { message: 'again', skipUnchanged: true });
    expect(again.unchanged).toBe(true);
    expect(again.fullBytesAdded).toBe(0);
    expect(await snapshotTree(path.join(store.dir, 'objects'))).toEqual(before);
    expect(await fs.readFile(path.join(store.dir, 'HEAD'), 'utf8')).toBe(head);
  });

  it('commits the same bytes anyway when asked (allow-empty), adding no full object, and restores them', async () => {
    const { store, file, bytes } = await committed();
    await saveAgain(file, bytes);
    const again = await commit(store, file, { message: 'again', checkpoint: true });
    expect(again.unchanged).toBe(false);
    expect(again.fullBytesAdded).toBe(0);
    await fs.rm(file);
    await restore(store, again.id);
    expect(await fs.readFile(file)).toEqual(bytes);
  });

  it('stores a file that differs only in its last byte, bit-exact', async () => {
    const { store, file, bytes } = await committed();
    const late = Buffer.from(bytes);
    late.writeUInt8(late.readUInt8(late.length - 1) ^ 0x01, late.length - 1);
    await saveAgain(file, late);
    const sha = await sha256Of(file);
    const next = await commit(store, file, { message: 'late', checkpoint: true, skipUnchanged: true });
    expect(next.unchanged).toBe(false);
    expect(next.fullBytesAdded).toBe(late.length);
    expect((await verify(store)).ok).toBe(true);
    const out = path.join(scratch(), 'out.safetensors');
    await restore(store, next.id, { to: out });
    expect(await sha256Of(out)).toBe(sha);
  });

  it('property: any change anywhere (none, one byte, a run across the 4 MiB chunk edge), on an intact or damaged parent object, is stored bit-exact or said unchanged only when the bytes are equal', async () => {
    const CHUNK = 4 * 1024 * 1024;
    await fc.assert(fc.asyncProperty(
      fc.record({
        // none, a byte somewhere, or a run of bytes ending just past the first chunk's edge
        change: fc.oneof(
          fc.constant(null),
          fc.record({ at: fc.nat(), len: fc.constant(1) }),
          fc.record({ at: fc.integer({ min: CHUNK - 64, max: CHUNK + 8 }), len: fc.integer({ min: 1, max: 128 }) }),
        ),
        // a flipped byte in the parent's stored full object (on-disk damage the fast path must not trust)
        damageParent: fc.boolean(),
        damageAt: fc.nat(),
      }),
      async ({ change, damageParent, damageAt }) => {
        const { store, file, bytes } = await committed();
        const next = Buffer.from(bytes);
        if (change) {
          const at = 1024 + (change.at % (next.length - 1024)); // past the safetensors header, which must stay valid JSON
          for (let i = at; i < Math.min(next.length, at + change.len); i++) next[i] = next[i]! ^ 0x5a;
        }
        const parentSha = await sha256Of(file); // HEAD's file: the committed model's bytes
        if (damageParent) {
          const obj = store.objectPath(parentSha);
          await fs.chmod(obj, 0o644);
          const h = await fs.open(obj, 'r+');
          const at = damageAt % bytes.length;
          await h.write(Buffer.from([bytes[at]! ^ 0xff]), 0, 1, at);
          await h.close();
        }
        await saveAgain(file, next);
        const sha = await sha256Of(file);
        const r = await commit(store, file, { message: 'next', checkpoint: true, skipUnchanged: true });
        expect(r.unchanged).toBe(!change);
        const out = path.join(scratch(), 'out.safetensors');
        // An unchanged commit stores nothing, so a damaged HEAD object stays
        // damaged (as before the fast path): restore must then refuse,
        // naming it, never hand out other bytes.
        const restored = await restore(store, change ? r.id : 'HEAD', { to: out }).then(() => null, (e: unknown) => e as { code?: string });
        if (restored) {
          expect(!change && damageParent, `restore failed: ${String(restored.code)}`).toBe(true);
          expect(restored.code).toBe('CORRUPT');
        } else {
          expect(await sha256Of(out)).toBe(sha);
        }
        // The object named by the file's sha256 holds exactly those bytes (mended where it was damaged and rewritten).
        if (change) expect(await sha256Of(store.objectPath(sha))).toBe(sha);
      },
    ), { numRuns: 12 });
  }, 240_000);
});
