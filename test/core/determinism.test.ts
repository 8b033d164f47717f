// Issue 18, item 7: the bytes of a delta object (and of a packed object) are a
// pure function of the two versions and the encoding settings, whatever order
// the encoder's workers finish in, so repair can make a damaged or missing
// delta again to its name. Before, blocks landed in the order workers
// finished them: a delta could not be rebuilt, repair quarantined it ("deltas
// cannot be rebuilt") and said "nothing to repair", and verify failed forever.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src-main/cli/main';
import { FullSource } from '../../src-main/core/base/file-source';
import type { Manifest, ManifestFile } from '../../src-main/core/base/manifest';
import { encodeChangedBlock, type BlockJob, type BlockResult } from '../../src-main/core/codec/block-work';
import { DeltaWriter } from '../../src-main/core/codec/delta-writer';
import { encodeFile } from '../../src-main/core/codec/encode-file';
import { encodeBlocksThroughForTests } from '../../src-main/core/codec/encode-pool';
import { DELTA_ENCODING } from '../../src-main/core/codec/encoding';
import { readLayout } from '../../src-main/core/formats/detect';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { packFull } from '../../src-main/core/ops/pack';
import { repair } from '../../src-main/core/ops/repair';
import { restore } from '../../src-main/core/ops/restore';
import { verify } from '../../src-main/core/ops/verify';
import { Store } from '../../src-main/core/store/store';
import { makeHistory, type History } from '../helpers/history';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors, type TestDtype, type TestTensor, WIDTH } from '../helpers/models';

const scratch = useScratch();
afterEach(() => encodeBlocksThroughForTests(null));

/** Encodes blocks as a pool of `parallelism` workers would, each block finishing after a random delay (so out of order). */
function shuffledWorkers(seed: number, parallelism: number): void {
  const r = rng(seed);
  encodeBlocksThroughForTests(async (job: BlockJob): Promise<BlockResult> => {
    const result = encodeChangedBlock(job);
    await new Promise((res) => setTimeout(res, Math.floor(r() * 8)));
    return result;
  }, parallelism);
}

/**
 * Workers that start each block only after a random delay, so the main thread
 * reads later blocks (into the pooled buffers of codec/block-buffers.ts)
 * while earlier ones still wait: a buffer reused too early would change them.
 */
function lateWorkers(seed: number, parallelism: number): void {
  const r = rng(seed);
  encodeBlocksThroughForTests(async (job: BlockJob): Promise<BlockResult> => {
    await new Promise((res) => setTimeout(res, Math.floor(r() * 8)));
    return encodeChangedBlock(job);
  }, parallelism);
}

/**
 * Workers that finish blocks last-first: finished blocks are held until
 * `parallelism` are waiting (or no other block came for 20 ms), then handed
 * back newest first, the order most unlike the blocks' own.
 */
function reversedWorkers(parallelism: number): void {
  let waiting: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const release = (): void => {
    clearTimeout(timer);
    const batch = waiting.reverse();
    waiting = [];
    for (const go of batch) go();
  };
  encodeBlocksThroughForTests(async (job: BlockJob): Promise<BlockResult> => {
    const result = encodeChangedBlock(job);
    await new Promise<void>((go) => {
      waiting.push(go);
      clearTimeout(timer);
      if (waiting.length >= parallelism) release();
      else timer = setTimeout(release, 20);
    });
    return result;
  }, parallelism);
}

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => undefined } });
  return { code, stdout };
}

/** Encodes `fresh` against `base` (or alone) into a delta object; its name, size, block map and figures. */
async function encodePair(dir: string, fresh: string, base: string | null, hashOnly = false): Promise<{ sha256: string; bytes: number; streams: string; tensors: string }> {
  const layoutNew = await readLayout(fresh);
  const src = new FullSource(fresh, { bytes: layoutNew.size, tensors: layoutNew.tensors }, 'new');
  const layoutOld = base ? await readLayout(base) : null;
  const old = base && layoutOld ? new FullSource(base, { bytes: layoutOld.size, tensors: layoutOld.tensors }, 'old') : null;
  const writer = hashOnly ? DeltaWriter.hashOnly() : new DeltaWriter(path.join(dir, `delta-${Math.random().toString(16).slice(2)}`));
  try {
    const baseTensors = layoutOld?.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, length: t.length })) ?? [];
    const enc = await encodeFile(src, layoutNew.tensors, old ? { source: old, path: 'm', tensors: baseTensors } : null, { writer });
    const done = await writer.finish();
    if (done && !hashOnly) {
      // What the writer says it wrote is what is on disk.
      expect(createHash('sha256').update(await fs.readFile(writer.tempFile)).digest('hex')).toBe(done.sha256);
    }
    return { sha256: done?.sha256 ?? 'none', bytes: done?.bytes ?? 0, streams: JSON.stringify(enc.streams), tensors: JSON.stringify(enc.tensors) };
  } finally {
    await src.close();
    await old?.close();
    await writer.discard();
  }
}

const DTYPES: TestDtype[] = ['F32', 'BF16', 'F16', 'F64', 'U8', 'I64'];

function randomBytes(n: number, r: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** A pair of models: tensors of random dtypes and sizes (some over one 4 MiB block), changed densely, sparsely, not at all, or replaced. */
function modelPair(seed: number, count: number): [TestTensor[], TestTensor[]] {
  const r = rng(seed);
  const a: TestTensor[] = [];
  const b: TestTensor[] = [];
  for (let i = 0; i < count; i++) {
    const dtype = DTYPES[Math.floor(r() * DTYPES.length)]!;
    const w = WIDTH[dtype];
    // Up to ~9 MiB: several blocks, so blocks of one tensor race each other.
    const elements = r() < 0.4 ? 1 + Math.floor(r() * 2000) : Math.floor((r() * 9 * 1024 * 1024) / w);
    const data = dtype === 'F32' ? gaussianF32(elements, r) : randomBytes(elements * w, r);
    a.push({ name: `t${i}`, dtype, shape: [elements], data });
    const kind = r();
    let next: Buffer;
    if (kind < 0.2) next = data;
    else if (kind < 0.5 && dtype === 'F32') next = nudgeF32(data, r, 1e-3, r());
    else if (kind < 0.8) { next = Buffer.from(data); for (let k = 0; k < 1 + r() * 50; k++) { const at = Math.floor(r() * next.length); next[at] = next[at]! ^ (1 + Math.floor(r() * 255)); } }
    else next = randomBytes(data.length, r);
    b.push({ name: kind > 0.95 ? `renamed${i}` : `t${i}`, dtype, shape: [elements], data: next });
  }
  return [a, b];
}

describe('deterministic delta encoding', () => {
  it('property: the same pair gives byte-identical delta objects (same sha256, block map and figures) with 1–4 workers finishing in random order', async () => {
    const dir = scratch();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 3 }), fc.boolean(), async (seed, count, parallelisms, alone) => {
      const [a, b] = modelPair(seed, count);
      const fa = path.join(dir, `a-${seed}.safetensors`), fb = path.join(dir, `b-${seed}.safetensors`);
      await writeSafetensors(fa, a);
      await writeSafetensors(fb, b);
      // No base: how a new file's delta and a packed object are encoded.
      const base = alone ? null : fa;
      encodeBlocksThroughForTests(null);
      const reference = await encodePair(dir, fb, base);
      for (const [i, p] of parallelisms.entries()) {
        shuffledWorkers(seed * 7 + i, p);
        expect(await encodePair(dir, fb, base, i === 1)).toEqual(reference);
      }
      await fs.rm(fa);
      await fs.rm(fb);
    }), { numRuns: 8 });
  }, 240_000);

  it('property: blocks encoded late, out of order, from pooled read buffers give the same delta object as the inline encoder', async () => {
    const dir = scratch();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), async (seed, count, parallelism, alone) => {
      const [a, b] = modelPair(seed, count);
      const fa = path.join(dir, `a-${seed}.safetensors`), fb = path.join(dir, `b-${seed}.safetensors`);
      await writeSafetensors(fa, a);
      await writeSafetensors(fb, b);
      const base = alone ? null : fa;
      encodeBlocksThroughForTests(null);
      const reference = await encodePair(dir, fb, base);
      lateWorkers(seed * 13, parallelism);
      expect(await encodePair(dir, fb, base)).toEqual(reference);
      await fs.rm(fa);
      await fs.rm(fb);
    }), { numRuns: 8 });
  }, 240_000);

  it('a block whose encode fails makes the encode fail with that error (blocks finished behind it do not hang), and nothing is left on disk', async () => {
    const dir = scratch();
    const r = rng(3);
    const a: TestTensor[] = [{ name: 'w', dtype: 'F32', shape: [3_000_000], data: gaussianF32(3_000_000, r) }];
    const b = a.map((t) => ({ ...t, data: nudgeF32(t.data, r) }));
    const fa = path.join(dir, 'a.safetensors'), fb = path.join(dir, 'b.safetensors');
    await writeSafetensors(fa, a);
    await writeSafetensors(fb, b);
    let n = 0;
    const boom = new Error('encoder died');
    // The first block fails late, after the ones behind it finished and wait for it.
    encodeBlocksThroughForTests(async (job) => {
      const first = n++ === 0;
      const result = encodeChangedBlock(job);
      await new Promise((res) => setTimeout(res, first ? 40 : 1));
      if (first) throw boom;
      return result;
    }, 3);
    const layoutA = await readLayout(fa), layoutB = await readLayout(fb);
    const src = new FullSource(fb, { bytes: layoutB.size, tensors: layoutB.tensors }, 'new');
    const old = new FullSource(fa, { bytes: layoutA.size, tensors: layoutA.tensors }, 'old');
    const temp = path.join(dir, 'delta');
    const writer = new DeltaWriter(temp);
    const base = { source: old, path: 'm', tensors: layoutA.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, length: t.length })) };
    await expect(encodeFile(src, layoutB.tensors, base, { writer })).rejects.toBe(boom);
    await expect(writer.finish()).rejects.toBe(boom);
    await writer.discard();
    await src.close();
    await old.close();
    expect(existsSync(temp)).toBe(false);
  });

  it('commits record the encoding that makes their deltas rebuildable', async () => {
    const h = await makeHistory(scratch(), 2, { big: 200_000 });
    const m = await h.store.readManifest(h.ids[1]!);
    expect(m.files[0]!.delta?.encoding).toBe(DELTA_ENCODING);
  });
});

describe('deterministic packed objects', () => {
  it('packing the same full object gives the same packed object whatever order its blocks finish in', async () => {
    const names: string[] = [];
    for (const [i, order] of (['inline', 'shuffled', 'reversed'] as const).entries()) {
      const h = await makeHistory(scratch(), 1, { big: 2_900_000, seed: 5 });
      if (order === 'shuffled') shuffledWorkers(31 + i, 4);
      if (order === 'reversed') reversedWorkers(3);
      const packed = await packFull(h.store, (await h.store.readManifest(h.ids[0]!)).files[0]!);
      encodeBlocksThroughForTests(null);
      expect(packed).not.toBeNull();
      names.push(packed!.object);
    }
    expect(new Set(names).size).toBe(1);
  }, 120_000);
});

// The real worker pool, as users run it: the built CLI with 1, 2 and 4 workers.
const repo = path.resolve(import.meta.dirname, '..', '..');
const built = existsSync(path.join(repo, 'out', 'main', 'cli.js')) && existsSync(path.join(repo, 'out', 'main', 'encode-worker.js'));

describe.skipIf(!built)('deterministic encoding with real worker threads (built CLI; skipped before `npm run build`)', () => {
  it('the same pair committed with 1, 2 and 4 workers gives the same delta object', async () => {
    const r = rng(17);
    // Eight 4 MiB blocks of changed floats: plenty to finish out of order.
    const v0: TestTensor[] = [0, 1, 2, 3].map((k) => ({ name: `w${k}`, dtype: 'F32', shape: [2_097_152], data: gaussianF32(2_097_152, r) }));
    const v1 = v0.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 0.7) }));
    const deltas: string[] = [];
    for (const workers of ['1', '2', '4']) {
      const dir = scratch();
      const file = path.join(dir, 'model.safetensors');
      const env = { ...process.env, WEIGHTLINE_WORKERS: workers };
      const wl = (...args: string[]): string => execFileSync(process.execPath, [path.join(repo, 'bin', 'weightline.mjs'), ...args], { cwd: dir, env, encoding: 'utf8' });
      wl('init');
      await writeSafetensors(file, v0);
      wl('commit', 'model.safetensors', '-m', 'v0');
      await writeSafetensors(file, v1);
      const id = (JSON.parse(wl('commit', 'model.safetensors', '-m', 'v1', '--json')) as { id: string }).id;
      const m = JSON.parse(await fs.readFile(path.join(dir, '.weightline', 'commits', `${id}.json`), 'utf8')) as Manifest;
      deltas.push(deltaOf(m));
    }
    expect(deltas[1]).toBe(deltas[0]);
    expect(deltas[2]).toBe(deltas[0]);
  }, 240_000);
});

// ---------------------------------------------------------------------------
// Repair makes deltas again.

function deltaOf(m: Manifest): string {
  const d = m.files[0]!.delta?.object;
  if (!d) throw new Error('expected a delta object');
  return d;
}

async function flipByte(file: string, at: number): Promise<void> {
  await fs.chmod(file, 0o644);
  const b = await fs.readFile(file);
  b[at % b.length] = b[at % b.length]! ^ 0x5a;
  await fs.writeFile(file, b);
}

/** Three commits whose blocks were encoded by workers finishing out of order; #2 is a DELTA that keeps its full object. */
async function history(): Promise<History> {
  reversedWorkers(3);
  // Three 4 MiB blocks in the big tensor: they race.
  const h = await makeHistory(scratch(), 3, { big: 2_900_000 });
  encodeBlocksThroughForTests(null);
  return h;
}

/** Restores commit `i` through its delta route: its own full object is moved away for the restore, then put back. */
async function restoreThroughDelta(h: History, i: number): Promise<string> {
  const m = await h.store.readManifest(h.ids[i]!);
  const full = h.store.objectPath(m.files[0]!.sha256);
  const aside = `${full}.aside`;
  await fs.rename(full, aside);
  try {
    const to = path.join(h.root, 'out', `${i}.safetensors`);
    await restore(h.store, h.ids[i]!, { to, link: 'copy' });
    return await sha256Of(to);
  } finally {
    await fs.rename(aside, full);
  }
}

describe('repair rebuilds deltas (issue 18, "Damaged delta, verify and repair disagree forever")', () => {
  it('a flipped byte in the delta of a commit that restores through its full object: repair rebuilds the delta to its name, verify exits 0, and the delta route restores bit-exact', async () => {
    const h = await history();
    const m = await h.store.readManifest(h.ids[2]!);
    const delta = deltaOf(m);
    expect(m.type).toBe('DELTA');
    expect(await h.store.hasObject(m.files[0]!.sha256)).toBe(true);
    await flipByte(h.store.objectPath(delta), 1000);

    const before = await cli(h.root, 'verify');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(`its delta object ${delta.slice(0, 12)} is corrupt`);

    // Rebuilt with another worker count and another finishing order than the commit had (in order, one at a time).
    const r = await repair(h.store);
    expect(r.quarantined.map((q) => q.object)).toContain(delta);
    expect(r.rebuilt.find((b) => b.object === delta)?.route).toMatch(/as its delta again/);
    expect(r.commits.find((c) => c.id === h.ids[2])?.outcome).toBe('repaired');
    expect(await sha256Of(h.store.objectPath(delta))).toBe(delta);

    const after = await cli(h.root, 'verify');
    expect(after.stdout).toContain('all ok');
    expect(after.code).toBe(0);
    expect(await restoreThroughDelta(h, 2)).toBe(h.shas[2]);
    // And repair has nothing left to say.
    const again = await cli(h.root, 'repair');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to repair');
  }, 120_000);

  it('a deleted delta object is rebuilt by repair (a dry run proves it first and writes nothing), and verify is green after', async () => {
    const h = await history();
    const delta = deltaOf(await h.store.readManifest(h.ids[1]!));
    await fs.rm(h.store.objectPath(delta), { force: true });
    const v = await verify(h.store);
    const c1 = v.commits.find((c) => c.id === h.ids[1])!;
    // Repair can make it again: a failure that names repair, not a warning.
    expect(c1.ok).toBe(false);
    expect(c1.error).toContain('"weightline repair" encodes it again');

    const dry = await repair(h.store, { dryRun: true });
    expect(dry.rebuilt.map((b) => b.object)).toContain(delta);
    expect(await h.store.hasObject(delta)).toBe(false);

    const r = await repair(h.store);
    expect(r.rebuilt.map((b) => b.object)).toContain(delta);
    expect(await sha256Of(h.store.objectPath(delta))).toBe(delta);
    expect((await verify(h.store)).ok).toBe(true);
    // #1 restores from #0's full parameters through the rebuilt delta once its own are gone.
    expect(await restoreThroughDelta(h, 1)).toBe(h.shas[1]);
  }, 120_000);

  it('a repair cancelled while it encodes a delta stops with CANCELLED, leaves no temp file, and the next repair rebuilds it', async () => {
    const h = await history();
    const delta = deltaOf(await h.store.readManifest(h.ids[2]!));
    await fs.rm(h.store.objectPath(delta), { force: true });
    const stop = new AbortController();
    // Cancelled by the user while the first block of the rebuild is being encoded.
    encodeBlocksThroughForTests(async (job) => { stop.abort(); return encodeChangedBlock(job); }, 2);
    await expect(repair(h.store, { signal: stop.signal })).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('repair was cancelled') as unknown });
    encodeBlocksThroughForTests(null);
    expect((await fs.readdir(h.store.dir)).filter((n) => n.startsWith('.tmp') || n === 'lock')).toEqual([]);
    expect(await h.store.hasObject(delta)).toBe(false);
    const r = await repair(h.store);
    expect(r.rebuilt.map((b) => b.object)).toContain(delta);
    expect((await verify(h.store)).ok).toBe(true);
  }, 120_000);

  it('verify judges a missing delta by its base version even when the child\'s clock said it came first', async () => {
    // Three commits; the newest was made on a machine whose clock was behind, so verify (oldest first) meets it before its parent.
    const h = await makeHistory(scratch(), 2, { big: 300_000 });
    const r = rng(9);
    const next = h.model.map((t) => ({ ...t, data: nudgeF32(t.data, r, 1e-3, 0.5) }));
    await writeSafetensors(h.file, next);
    const spy = vi.spyOn(Date.prototype, 'toISOString').mockReturnValue('2001-01-01T00:00:00.000Z');
    let id: string;
    try {
      id = (await commit(h.store, h.file, { message: 'from a machine with a slow clock' })).id;
    } finally {
      spy.mockRestore();
    }
    const child = await h.store.readManifest(id);
    const parent = await h.store.readManifest(h.ids[1]!);
    expect(child.createdAt < parent.createdAt).toBe(true);
    await fs.rm(h.store.objectPath(deltaOf(child)), { force: true });
    // Both versions restore: repair can make it, and verify says so.
    const v1 = (await verify(h.store)).commits.find((c) => c.id === id)!;
    expect(v1.ok).toBe(false);
    expect(v1.error).toContain('"weightline repair" encodes it again');
    // Now the parent is lost too: repair could not make it, so verify must not send the user there (no loop).
    await fs.rm(h.store.objectPath(parent.files[0]!.sha256), { force: true });
    await fs.rm(h.store.objectPath(deltaOf(parent)), { force: true });
    const v2 = (await verify(h.store)).commits.find((c) => c.id === id)!;
    expect(v2.ok).toBe(true);
    expect(v2.warning).toContain('its base version does not restore');
  }, 120_000);

  it('a missing delta whose base version is lost is not rebuilt, and verify does not send the user to repair for it', async () => {
    const h = await history();
    const m1 = await h.store.readManifest(h.ids[1]!);
    const m2 = await h.store.readManifest(h.ids[2]!);
    // #1 loses its full object and its delta: it cannot restore, so #2's delta (based on #1) cannot be made.
    await fs.rm(h.store.objectPath(m1.files[0]!.sha256), { force: true });
    await fs.rm(h.store.objectPath(deltaOf(m1)), { force: true });
    await fs.rm(h.store.objectPath(deltaOf(m2)), { force: true });
    const r = await repair(h.store);
    expect(r.rebuilt.map((b) => b.object)).not.toContain(deltaOf(m2));
    const c2 = r.commits.find((c) => c.id === h.ids[2])!;
    expect(c2.outcome).toBe('restorable');
    expect(c2.detail).toMatch(/is missing and was not rebuilt: its base version .* does not restore/);
    const v = await verify(h.store);
    const v2 = v.commits.find((c) => c.id === h.ids[2])!;
    expect(v2.ok).toBe(true);
    expect(v2.warning).toMatch(/cannot be rebuilt \(its base version does not restore\)/);
    // #1 itself is lost, and verify says so.
    expect(v.commits.find((c) => c.id === h.ids[1])!.restorable).toBe(false);
  }, 120_000);
});

// ---------------------------------------------------------------------------
// Stores written before.

const legacyFixture = path.join(__dirname, '..', 'fixtures', 'legacy-store', 'weightline');

async function legacyStore(): Promise<{ root: string; store: Store; ids: string[]; manifests: Manifest[] }> {
  const root = scratch();
  await fs.cp(legacyFixture, path.join(root, '.weightline'), { recursive: true });
  const store = await Store.find(root);
  const ids = [...(await store.listCommitIds())];
  const manifests = await Promise.all(ids.map((id) => store.readManifest(id)));
  return { root, store, ids, manifests };
}

describe('stores written before deterministic encoding', () => {
  it('still verify clean; their deltas carry no encoding', async () => {
    const { store, manifests } = await legacyStore();
    expect((await verify(store)).ok).toBe(true);
    for (const m of manifests) for (const f of m.files) expect(f.delta?.encoding).toBeUndefined();
  });

  it('a damaged old delta whose commit has its full object: repair says it predates deterministic encoding, the commit keeps restoring, and verify then warns (exit 0) instead of failing forever', async () => {
    const { root, store, ids, manifests } = await legacyStore();
    // The DELTA commit that kept its full parameters (the newest).
    const i = manifests.findIndex((m) => m.type === 'DELTA' && !!m.files[0]!.delta?.object && existsSync(store.objectPath(m.files[0]!.sha256)));
    expect(i).toBeGreaterThanOrEqual(0);
    const id = ids[i]!;
    const file: ManifestFile = manifests[i]!.files[0]!;
    const delta = file.delta!.object!;
    await flipByte(store.objectPath(delta), 7);
    expect((await cli(root, 'verify')).code).toBe(1);

    const r = await repair(store);
    expect(r.quarantined.map((q) => q.object)).toContain(delta);
    expect(r.rebuilt.map((b) => b.object)).not.toContain(delta);
    const c = r.commits.find((x) => x.id === id)!;
    expect(c.outcome).toBe('restorable');
    expect(c.detail).toContain('predates deterministic encoding');

    const v = await cli(root, 'verify');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('predates deterministic encoding');
    expect(v.stdout).toContain('warning');
    const json = JSON.parse((await cli(root, 'verify', '--json')).stdout) as { ok: boolean; commits: Array<{ id: string; ok: boolean; warning?: string }> };
    expect(json.ok).toBe(true);
    expect(json.commits.find((x) => x.id === id)?.warning).toMatch(/its delta object [0-9a-f]{12} is missing and cannot be rebuilt \(it predates deterministic encoding\); the version restores bit-exact from the full parameters of/);
    // A second repair tries again, says the same, and does not claim "nothing to repair".
    const again = await cli(root, 'repair');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('predates deterministic encoding');
    expect(again.stdout).not.toContain('nothing to repair');
    // The store keeps working: cleanup keeps the full parameters the commit now needs, and it restores.
    await cleanup(store);
    const to = path.join(root, 'out.safetensors');
    await restore(store, id, { to, link: 'copy' });
    expect(await sha256Of(to)).toBe(file.sha256);
    expect((await cli(root, 'verify')).code).toBe(0);
  }, 120_000);
});

// A store this encoding wrote, kept as a fixture: if a change to the encoder
// (zstd's version or level, the block payload, the Raw/Xor choice) changes a
// byte, these fail, and the change must come with a new DELTA_ENCODING.
const encoding1Fixture = path.join(__dirname, '..', 'fixtures', 'encoding-1-store', 'weightline');

async function encoding1Store(): Promise<{ root: string; store: Store; manifests: Map<string, Manifest> }> {
  const root = scratch();
  await fs.cp(encoding1Fixture, path.join(root, '.weightline'), { recursive: true });
  const store = await Store.find(root);
  const manifests = new Map<string, Manifest>();
  for (const id of await store.listCommitIds()) manifests.set(id, await store.readManifest(id));
  return { root, store, manifests };
}

describe('a store written with encoding 1 (fixture)', () => {
  it('verifies clean, and each of its deltas, deleted, is encoded again to its name by today\'s code', async () => {
    const { manifests: all } = await encoding1Store();
    const deltas = [...all.values()].flatMap((m) => m.files.map((f) => f.delta)).filter((d) => d?.object);
    expect(deltas.length).toBe(3);
    for (const d of deltas) {
      expect(d!.encoding).toBe(1);
      const { store } = await encoding1Store();
      expect((await verify(store)).ok).toBe(true);
      await fs.rm(store.objectPath(d!.object!), { force: true });
      const r = await repair(store);
      expect(r.rebuilt.map((b) => b.object), `delta ${d!.object!.slice(0, 12)}`).toContain(d!.object);
      expect(await sha256Of(store.objectPath(d!.object!))).toBe(d!.object);
      expect((await verify(store)).ok).toBe(true);
    }
  }, 120_000);

  it('its packed CHECKPOINT, packed again by today\'s code from the raw bytes, gets the same name', async () => {
    const { store, manifests } = await encoding1Store();
    const checkpoint = [...manifests.values()].find((m) => m.type === 'CHECKPOINT')!.files[0]!;
    const packs = await fs.readdir(path.join(store.dir, 'packs'));
    expect(packs).toHaveLength(1);
    const packedName = packs[0]!.split('.')[1]!;
    // Drop the packed form; repair rebuilds the raw full object from the deltas (backward from the newest).
    await fs.rm(store.objectPath(packedName), { force: true });
    await fs.rm(path.join(store.dir, 'packs', packs[0]!));
    await repair(store);
    expect(await sha256Of(store.objectPath(checkpoint.sha256))).toBe(checkpoint.sha256);
    const again = await packFull(store, checkpoint);
    expect(again?.object).toBe(packedName);
  }, 120_000);
});
