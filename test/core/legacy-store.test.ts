// A store written by an earlier Weightline (format 1, delta blocks as one zstd
// frame of all planes) must still verify and restore, bit for bit.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { log } from '../../src-main/core/ops/inspect';
import { Store } from '../../src-main/core/store/store';
import { sha256Of, useScratch } from '../helpers/models';

const scratch = useScratch();
const fixture = path.join(__dirname, '..', 'fixtures', 'legacy-store', 'weightline');

describe('a store with legacy block payloads', () => {
  it('verifies clean and restores every commit, including those rebuilt from legacy deltas only', async () => {
    const root = scratch();
    await fs.cp(fixture, path.join(root, '.weightline'), { recursive: true });
    const store = await Store.find(root);
    const entries = await log(store);
    expect(entries).toHaveLength(4);
    // Two commits have no full parameters left: their bytes come from legacy blocks alone.
    expect(entries.filter((e) => !e.hasFull).length).toBe(2);
    const result = await verify(store);
    expect(result.commits.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    for (const e of entries) {
      const out = path.join(root, 'out', `${e.id}.safetensors`);
      await restore(store, e.id, { to: out, link: 'copy' });
      const manifest = await store.readManifest(e.id);
      expect(await sha256Of(out)).toBe(manifest.files[0]!.sha256);
    }
  });
});
