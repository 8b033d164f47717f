import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeBlock, decodeBlock } from '../../src-main/core/codec/block-codec';
import { useKernels } from '../../src-main/core/codec/kernels/wasm';
import { xorBytes } from '../../src-main/core/codec/xor';
import { blockChecksum } from '../../src-main/core/base/fsutil';
import { BLOCK_SIZE, BlockMode, type BlockRef, type FileDelta } from '../../src-main/core/base/manifest';
import { streamMap, type LayoutLike } from '../../src-main/core/base/streams';
import { FullSource, type FileSource } from '../../src-main/core/base/file-source';
import { DeltaSource } from '../../src-main/core/rebuild/source';
import { commit } from '../../src-main/core/ops/commit';
import { restore } from '../../src-main/core/ops/restore';
import { Store } from '../../src-main/core/store/store';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

// The one-pass chain rebuild (rebuild/chain.ts, DeltaSource.chunks) against
// the reference: each level decoded on its own with decodeBlock and XORed
// onto the level below, for every width, odd tails, residual regions between
// tensors, chains of 1 to 30 with Same, Xor and Raw blocks mixed.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-chain-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;

type Mode = 'same' | 'xor' | 'raw';
interface Chain { layout: LayoutLike; top: FileSource; versions: Buffer[]; close(): Promise<void> }

function fileOf(layout: LayoutLike, streams: Buffer[]): Buffer {
  const out = Buffer.alloc(layout.bytes);
  for (const r of streamMap(layout).regions) streams[r.stream]!.copy(out, r.fileOffset, r.streamOffset, r.streamOffset + r.length);
  return out;
}

/**
 * Builds a chain on disk: version 0 as a full object (or none: the first
 * level then stores every block Raw), then one delta per level whose blocks
 * follow `modes` (level, stream, block). Also returns the versions as the
 * reference rebuilds them, level by level with decodeBlock.
 */
function buildChain(layout: LayoutLike, seed: Uint8Array, modes: Mode[][][], withFull: boolean): Chain {
  const map = streamMap(layout);
  let rng = 1;
  for (const b of seed) rng = (rng * 31 + b) >>> 0;
  const next = (): number => { rng = (rng * 1103515245 + 12345) >>> 0; return rng >>> 16; };
  const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => next() & 255));
  let streams = map.lengths.map((n) => randomBytes(n));
  const versions = [fileOf(layout, streams)];
  let top: FileSource | null = null;
  if (withFull) {
    const full = path.join(dir, `full-${files++}`);
    fs.writeFileSync(full, versions[0]!);
    top = new FullSource(full, layout, 'full');
  }
  for (let level = 0; level < modes.length; level++) {
    const payloads: Buffer[] = [];
    let at = 0;
    const fresh = streams.map((s) => Buffer.from(s));
    const deltaStreams = map.lengths.map((len, s) => {
      const blocks: BlockRef[] = [];
      for (let k = 0; k * BLOCK_SIZE < len; k++) {
        const from = k * BLOCK_SIZE, to = Math.min(len, from + BLOCK_SIZE);
        // Without a base below, the first level can only store its blocks.
        const mode = !top ? 'raw' : modes[level]![s]![k] ?? 'same';
        if (mode === 'same') { blocks.push(0); continue; }
        const block = fresh[s]!.subarray(from, to);
        // A few changed bytes (an XOR delta of a fine-tune) or all new ones.
        if (mode === 'raw' && next() % 2) block.set(randomBytes(block.length));
        else for (let i = 0; i < 1 + (next() % 8); i++) block[next() % block.length] = next() & 255;
        const payload = encodeBlock(block, map.widths[s]!, mode === 'xor' ? streams[s]!.subarray(from, to) : undefined);
        // The reference: this level alone decoded, then XORed onto the level below.
        const decoded = decodeBlock(payload, map.widths[s]!, block.length, 'ref');
        expect(decoded.equals(mode === 'xor' ? xorBytes(block, streams[s]!.subarray(from, to)) : block)).toBe(true);
        blocks.push([mode === 'xor' ? BlockMode.Xor : BlockMode.Raw, at, payload.length, blockChecksum(payload)]);
        payloads.push(payload);
        at += payload.length;
      }
      return { base: top ? s : null, blocks };
    });
    const file = path.join(dir, `delta-${files++}`);
    fs.writeFileSync(file, Buffer.concat(payloads));
    const delta: FileDelta = { object: null, bytes: at, basePath: top ? 'm' : null, streams: deltaStreams };
    top = new DeltaSource(layout, `level ${level}`, delta, top, file);
    streams = fresh;
    versions.push(fileOf(layout, streams));
  }
  const last = top!;
  return { layout, top: last, versions, close: () => last.close() };
}

async function all(source: FileSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source.chunks()) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

const layoutArb = fc.record({
  head: fc.nat(40),
  tensors: fc.array(fc.record({ width: fc.constantFrom(1, 2, 4, 8), count: fc.nat(700), gap: fc.nat(9) }), { minLength: 0, maxLength: 3 }),
  tail: fc.nat(20),
}).map(({ head, tensors, tail }) => {
  let pos = head;
  const out = tensors.map((t) => {
    const r = { offset: pos, length: t.count * t.width, width: t.width };
    pos += r.length + t.gap;
    return r;
  }).filter((t) => t.length > 0);
  return { bytes: pos + tail, tensors: out } as LayoutLike;
});

describe('one-pass chain rebuild', () => {
  for (const kernels of ['best', 'js'] as const) {
    it(`gives the bytes of the level-by-level rebuild, every width and chain length 1..30 (${kernels} kernels)`, async () => {
      useKernels(kernels);
      try {
        await fc.assert(fc.asyncProperty(
          layoutArb,
          fc.uint8Array({ minLength: 1, maxLength: 8 }),
          fc.integer({ min: 1, max: 30 }),
          fc.array(fc.constantFrom<Mode>('same', 'xor', 'raw'), { minLength: 1, maxLength: 40 }),
          fc.boolean(),
          fc.boolean(),
          async (layout, seed, length, pattern, withFull, checks) => {
            const streams = streamMap(layout).lengths.length;
            let i = 0;
            const modes = Array.from({ length }, () => Array.from({ length: streams }, () => [pattern[i++ % pattern.length]!]));
            const chain = buildChain(layout, seed, modes, withFull);
            try {
              for (let s: FileSource | null = chain.top; s instanceof DeltaSource; s = s.base) s.blockChecks = checks;
              const want = chain.versions[chain.versions.length - 1]!;
              expect((await all(chain.top)).equals(want)).toBe(true);
              // And the random-access reader (nested chainBlock) agrees.
              expect(layout.bytes === 0 || (await chain.top.read(0, layout.bytes)).equals(want)).toBe(true);
            } finally {
              await chain.close();
            }
          },
        ), { numRuns: 60 });
      } finally {
        useKernels('best');
      }
    }, 120_000);
  }

  it('rebuilds blocks past the first of a stream (9 MiB f32 and 8-byte tensors, a chain of 3)', async () => {
    const t0 = 9 * 1024 * 1024 - 8 * 1024, t1 = 16 + t0 + 24;
    const layout: LayoutLike = { bytes: t1 + 1000 + 7, tensors: [{ offset: 16, length: t0, width: 4 }, { offset: t1, length: 1000, width: 8 }] };
    const modes: Mode[][][] = [
      [['raw'], ['xor', 'same', 'raw'], ['xor']],
      [['same'], ['same', 'xor', 'xor'], ['raw']],
      [['xor'], ['xor', 'raw', 'same'], ['same']],
    ];
    const chain = buildChain(layout, Uint8Array.from([3]), modes, true);
    try {
      expect((await all(chain.top)).equals(chain.versions[3]!)).toBe(true);
    } finally {
      await chain.close();
    }
  }, 60_000);
});

describe('a damaged delta block in a chain', () => {
  it('fails CORRUPT naming the delta object when block checks are on, whatever level is damaged', async () => {
    const layout: LayoutLike = { bytes: 4096 + 8, tensors: [{ offset: 8, length: 4096, width: 4 }] };
    for (let bad = 0; bad < 4; bad++) {
      const chain = buildChain(layout, Uint8Array.from([bad]), Array.from({ length: 4 }, () => [['raw'], ['xor']]), true);
      const levels: DeltaSource[] = [];
      for (let s: FileSource | null = chain.top; s instanceof DeltaSource; s = s.base) levels.unshift(s);
      const file = levels[bad]!.deltaFile!;
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 3]! ^= 0x10;
      fs.writeFileSync(file, bytes);
      try {
        await expect(all(chain.top)).rejects.toMatchObject({ code: 'CORRUPT', file });
        // Unchecked, the damage comes out as wrong bytes (or a decode error): the caller's sha256 catches it.
        for (const l of levels) l.blockChecks = false;
        const got = await all(chain.top).catch(() => null);
        expect(got?.equals(chain.versions[4]!) ?? false).toBe(false);
      } finally {
        await chain.close();
      }
    }
  });
});

describe('restore through a chain with a damaged delta object', () => {
  const scratch = useScratch();

  it('fails CORRUPT naming the damaged object (found by the re-read with block checks), leaving no file behind', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'm.safetensors');
    const r = rng(5);
    let m: TestTensor[] = [{ name: 'w', dtype: 'F32', shape: [64, 256], data: gaussianF32(64 * 256, r) }];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await writeSafetensors(file, m);
      ids.push((await commit(store, file, { message: `v${i}` })).id);
      m = m.map((t) => ({ ...t, data: nudgeF32(t.data, rng(50 + i)) }));
    }
    // Only the first version keeps its full parameters: the last is rebuilt through four deltas.
    for (const id of ids.slice(1)) for (const f of (await store.readManifest(id)).files) await fs.promises.rm(store.objectPath(f.sha256), { force: true });
    const broken = (await store.readManifest(ids[2]!)).files[0]!.delta!.object!;
    const deltaPath = store.objectPath(broken);
    await fs.promises.chmod(deltaPath, 0o644);
    const bytes = await fs.promises.readFile(deltaPath);
    bytes[bytes.length >> 1]! ^= 0x01;
    await fs.promises.writeFile(deltaPath, bytes);
    const out = path.join(root, 'out');
    await fs.promises.mkdir(out);
    await expect(restore(store, ids[4]!, { to: path.join(out, 'x.safetensors') })).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(broken.slice(0, 12)) });
    expect(await fs.promises.readdir(out)).toEqual([]);
    // Intact versions below the damage still restore.
    await restore(store, ids[1]!, { to: path.join(out, 'y.safetensors') });
    expect(await fs.promises.readdir(out)).toEqual(['y.safetensors']);
  });
});

describe('restore of a large rebuilt file (hashed on the hash thread)', () => {
  const scratch = useScratch();

  it('writes the bytes of the version, and on damage leaves nothing and names the object', async () => {
    const root = scratch();
    const store = await Store.init(root);
    const file = path.join(root, 'm.safetensors');
    // 72 MiB: past the size from which a restore hashes on a thread of its own.
    const n = 18 * 1024 * 1024;
    const base = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i += 97) base.writeFloatLE(Math.sin(i) * 0.02, i * 4);
    const v1 = Buffer.from(base);
    for (let i = 0; i < n; i += 13) v1.writeFloatLE(v1.readFloatLE(i * 4) + 1e-3, i * 4);
    const ids: string[] = [];
    for (const data of [base, v1]) {
      await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [n], data }]);
      ids.push((await commit(store, file, { message: 'v' })).id);
    }
    const f = (await store.readManifest(ids[1]!)).files[0]!;
    await fs.promises.rm(store.objectPath(f.sha256));
    const out = path.join(root, 'out');
    await fs.promises.mkdir(out);
    await restore(store, ids[1]!, { to: path.join(out, 'x.safetensors') });
    expect(await sha256Of(path.join(out, 'x.safetensors'))).toBe(f.sha256);
    const deltaPath = store.objectPath(f.delta!.object!);
    await fs.promises.chmod(deltaPath, 0o644);
    const bytes = await fs.promises.readFile(deltaPath);
    bytes[bytes.length >> 1]! ^= 0x01;
    await fs.promises.writeFile(deltaPath, bytes);
    await expect(restore(store, ids[1]!, { to: path.join(out, 'y.safetensors') })).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(f.delta!.object!.slice(0, 12)) });
    expect(await fs.promises.readdir(out)).toEqual(['x.safetensors']);
  }, 120_000);
});
