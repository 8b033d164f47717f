import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLayout } from '../../src-main/core/formats/detect';
import { commit } from '../../src-main/core/ops/commit';
import { show } from '../../src-main/core/ops/inspect';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { sha256Of, useScratch } from '../helpers/models';

// Files written by real PyTorch and NumPy (test/fixtures/make_fixtures.py):
// commit them, change a tensor's bytes in place as a training step would,
// commit again, and restore both versions byte for byte.

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const MARKER = '/tmp/weightline-pwned-marker';
const scratch = useScratch();

async function nudgeTensors(file: string): Promise<number> {
  const layout = await readLayout(file);
  const h = await fs.open(file, 'r+');
  try {
    for (const t of layout.tensors) {
      // Flip a low mantissa bit of a few elements: a tiny optimizer step.
      for (let e = 0; e < t.length / t.width; e += 7) {
        const pos = t.offset + e * t.width;
        const b = Buffer.alloc(1);
        await h.read(b, 0, 1, pos);
        b[0] = b[0]! ^ 1;
        await h.write(b, 0, 1, pos);
      }
    }
  } finally {
    await h.close();
  }
  return layout.tensors.length;
}

describe('real PyTorch and NumPy files', () => {
  for (const name of ['tiny.pt', 'train-state.pt', 'params.pt', 'legacy.pt', 'tiny.safetensors', 'arrays.npz', 'arrays-compressed.npz', 'f32.npy', 'i64.npy', 'f16.npy', 'be-f4.npy', 'tiny-deflated.pt']) {
    it(`${name}: commit, change, commit, restore both bit-exact`, async () => {
      const root = scratch();
      const store = await Store.init(root);
      const file = path.join(root, name);
      await fs.copyFile(path.join(FIXTURES, name), file);
      const v1 = await sha256Of(file);
      const c1 = await commit(store, file, { message: 'v1' });
      const tensors = await nudgeTensors(file);
      // A file read as generic (a compressed npz) cannot be edited
      // in place without breaking it; a byte appended to a legacy pickle is
      // still a file the store must keep exactly.
      if (tensors === 0 && !name.endsWith('.npz')) await fs.appendFile(file, Buffer.from([0]));
      const v2 = await sha256Of(file);
      const c2 = await commit(store, file, { message: 'v2' });
      expect(c2.parent).toBe(c1.id);
      const shown = await show(store, c2.id);
      if (tensors > 0) expect(shown.files[0]!.tensors.some((t) => t.status === 'changed')).toBe(true);
      // Rebuild v2 from its delta: drop its full parameters first (unless v1 shares them).
      if (v2 !== v1) await fs.rm(store.objectPath(shown.files[0]!.sha256));
      await restore(store, c2.id, { to: path.join(root, 'v2') });
      await restore(store, c1.id, { to: path.join(root, 'v1') });
      expect(await sha256Of(path.join(root, 'v2'))).toBe(v2);
      expect(await sha256Of(path.join(root, 'v1'))).toBe(v1);
    });
  }

  it('a sharded Hugging Face folder commits and restores whole', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const dir = path.join(root, 'model');
    await fs.cp(path.join(FIXTURES, 'hf-sharded'), dir, { recursive: true });
    const c = await commit(store, dir, { message: 'hf' });
    const s = await show(store, c.id);
    expect(s.files.map((f) => f.format).sort()).toEqual(['generic', 'generic', 'safetensors', 'safetensors']);
    await restore(store, c.id, { to: path.join(root, 'copy') });
    for (const f of await fs.readdir(dir)) expect(await sha256Of(path.join(root, 'copy', f))).toBe(await sha256Of(path.join(dir, f)));
  });

  it('a pickle that tries to run code is stored and restored, and never runs', async () => {
    await fs.rm(MARKER, { force: true });
    const root = scratch();
    const store = await Store.init(root);
    for (const name of ['malicious.pt', 'malicious-mixed.pt', 'malicious-legacy.pt']) {
      const file = path.join(root, name);
      await fs.copyFile(path.join(FIXTURES, name), file);
      const c = await commit(store, file, { message: name });
      await restore(store, c.id, { to: path.join(root, `restored-${name}`) });
      expect(await sha256Of(path.join(root, `restored-${name}`))).toBe(await sha256Of(file));
    }
    await expect(fs.access(MARKER)).rejects.toThrow();
  });
});
