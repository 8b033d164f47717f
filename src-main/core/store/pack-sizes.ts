import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../base/fsutil';
import type { Store } from './store';

// What packing each full object gives (size and name of its packed form),
// measured by encoding every block (ops/pack.ts, measurePacked). Packing is a
// pure function of the raw bytes, so a measurement keyed by the full object's
// sha256 stays true: the cleanup preview (and the settings pane's live
// preview, one job per value tried) measures each CHECKPOINT once, and asking
// again is instant.
//
// `.weightline/pack-sizes.json` is a cache: missing, damaged or written for
// another packing encoding, it is empty. It never decides what is deleted:
// cleanup deletes a raw object only after its packed form decodes right.

const FILE = 'pack-sizes.json';
/** Bumped whenever the packed encoding (block codec settings, table) changes: old measurements are then dropped. */
export const PACK_ENCODING = 1;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const schema = z.object({
  version: z.literal(1),
  encoding: z.number(),
  sizes: z.record(hex64, z.tuple([z.number().int().nonnegative(), hex64])),
});

export interface PackMeasure { readonly bytes: number; readonly sha256: string }

export class PackSizes {
  private dirty = false;
  private constructor(private readonly store: Store, private readonly sizes: Record<string, [number, string]>) {}

  static async load(store: Store): Promise<PackSizes> {
    try {
      const parsed = schema.safeParse(JSON.parse(await fs.readFile(path.join(store.dir, FILE), 'utf8')));
      if (parsed.success && parsed.data.encoding === PACK_ENCODING) return new PackSizes(store, parsed.data.sizes);
    } catch { /* absent or damaged: a cache starts empty */ }
    return new PackSizes(store, {});
  }

  get(full: string): PackMeasure | null {
    const e = this.sizes[full];
    return e ? { bytes: e[0], sha256: e[1] } : null;
  }

  set(full: string, m: PackMeasure): void {
    const e = this.sizes[full];
    if (e && e[0] === m.bytes && e[1] === m.sha256) return;
    this.sizes[full] = [m.bytes, m.sha256];
    this.dirty = true;
  }

  /** Best effort: a read-only or full disk must not fail a preview. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    await writeFileAtomic(path.join(this.store.dir, FILE), JSON.stringify({ version: 1, encoding: PACK_ENCODING, sizes: this.sizes })).catch(() => undefined);
    this.dirty = false;
  }
}
