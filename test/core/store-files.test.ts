// Every store file goes through one typed reader (issue 10, item 2): missing
// means the documented default only where docs/STORE-FORMAT.md gives one;
// damaged is a CORRUPT error naming the file, and commit, cleanup and pin
// refuse to act on it. Real stores, made with the real ops.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWeightlineError, WeightlineError } from '../../src-shared/errors';
import { DEFAULT_CONFIG } from '../../src-shared/settings';
import { cleanup } from '../../src-main/core/ops/cleanup';
import { commit } from '../../src-main/core/ops/commit';
import { log } from '../../src-main/core/ops/inspect';
import { setPinned } from '../../src-main/core/ops/pin';
import { restore } from '../../src-main/core/ops/restore';
import { StatCache } from '../../src-main/core/ops/working-copy';
import { sha256 } from '../../src-main/core/base/fsutil';
import { readLinks } from '../../src-main/core/store/links';
import { commitSummaries } from '../../src-main/core/store/log-index';
import { Store } from '../../src-main/core/store/store';
import {
  readConfigFile, readFormatFile, readHeadFile, readLinksFile, readLogIndexFile, readPinsFile, readStatCacheFile,
} from '../../src-main/core/store/store-files';
import { gaussianF32, nudgeF32, rng, sha256Of, useScratch, writeSafetensors, type TestTensor } from '../helpers/models';

const scratch = useScratch();

function model(seed: number, n = 20_000): TestTensor[] {
  const r = rng(seed);
  return [
    { name: 'frozen.weight', dtype: 'F32', shape: [n], data: gaussianF32(n, r) },
    { name: 'head.weight', dtype: 'F32', shape: [n / 4], data: gaussianF32(n / 4, r) },
  ];
}

/** A store with `count` commits of one file (a CHECKPOINT, then DELTAs). */
async function history(count: number, root = scratch()): Promise<{ root: string; store: Store; file: string; ids: string[]; shas: string[] }> {
  const store = await Store.init(root);
  const file = path.join(root, 'model.safetensors');
  let m = model(1);
  const ids: string[] = [];
  const shas: string[] = [];
  for (let i = 0; i < count; i++) {
    await writeSafetensors(file, m);
    shas.push(await sha256Of(file));
    ids.push((await commit(store, file, { message: `epoch ${i}` })).id);
    m = m.map((t, k) => (k === 1 ? { ...t, data: nudgeF32(t.data, rng(100 + i)) } : t));
  }
  return { root, store, file, ids, shas };
}

/** Expects a CORRUPT error whose message names the file. */
async function expectCorrupt(p: Promise<unknown>, fileName: string): Promise<WeightlineError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, `expected CORRUPT naming ${fileName}`).toBeInstanceOf(WeightlineError);
  const err = e as WeightlineError;
  expect(err.code).toBe('CORRUPT');
  expect(err.message).toContain(fileName);
  return err;
}

const stored = (store: Store, name: string): string => path.join(store.dir, name);

describe('issue 10 regressions: damaged store files are refused, never guessed around', () => {
  it('one damaged byte in pins.json: cleanup refuses and the pinned commit keeps its full parameters', async () => {
    const { store, ids, shas } = await history(5);
    await setPinned(store, ids[1]!, true);
    const text = await fs.readFile(stored(store, 'pins.json'), 'utf8');
    // A hex digit changed into another hex digit still looks like an id; a quote changed breaks the JSON.
    const i = text.indexOf(ids[1]!) + 10;
    const flipped = text.slice(0, i) + (text[i] === 'a' ? 'b' : 'a') + text.slice(i + 1);
    for (const damagedText of [flipped, text.replace('"', 'x')]) {
      await fs.writeFile(stored(store, 'pins.json'), damagedText);
      const err = await expectCorrupt(cleanup(store), 'pins.json');
      expect(err.message).toMatch(/delete it to unpin/);
      expect(await store.hasObject(shas[1]!)).toBe(true);
      await expectCorrupt(setPinned(store, ids[2]!, true), 'pins.json');
    }
  });

  it('a damaged HEAD: commit refuses instead of silently starting a second root', async () => {
    const { store, file, ids } = await history(2);
    await writeSafetensors(file, model(9));
    const damagedHeads: Array<string | null> = [
      '{"commit":"' + ids[1]!.slice(0, 63) + '"}', // truncated id
      '{"commit":"' + ids[1]!.replace(/^./, (c) => (c === 'f' ? 'e' : 'f')) + '"}', // names no commit
      '{"commit":null}',
      '{"comm',
      '',
      null, // deleted
    ];
    for (const head of damagedHeads) {
      if (head === null) await fs.rm(stored(store, 'HEAD'));
      else await fs.writeFile(stored(store, 'HEAD'), head);
      const err = await expectCorrupt(commit(store, file, { message: 'would be a second root' }), 'HEAD');
      expect(err.message).toContain('weightline restore <commit>');
      expect(await store.listCommitIds()).toHaveLength(2);
    }
    // The way out the message names: restoring a commit to its own path sets HEAD again.
    await restore(store, ids[1]!, { force: true });
    expect(await store.readHead()).toBe(ids[1]);
    const next = await commit(store, file, { message: 'on top' });
    expect((await store.readManifest(next.id)).parent).toBe(ids[1]);
  });

  it('a damaged HEAD is a value for readers that only look', async () => {
    const { store } = await history(1);
    await fs.writeFile(stored(store, 'HEAD'), 'garbage');
    const state = await store.headState();
    expect(state.ok).toBe(false);
    if (!state.ok) expect(state.error.code).toBe('CORRUPT');
    expect(await log(store)).toHaveLength(1);
  });

  it('HEAD missing in a store with no commits is "no commit yet"', async () => {
    const store = await Store.init(scratch());
    expect(await store.readHead()).toBeNull();
    expect((await store.headState()).ok).toBe(true);
  });

  it('{"maxChainLength": "sixteen"} in config.json is refused by commit, cleanup and the config writer', async () => {
    const { store, file } = await history(1);
    await fs.writeFile(stored(store, 'config.json'), JSON.stringify({ maxChainLength: 'sixteen', keepFullLatest: 2, autoCleanup: false }));
    await writeSafetensors(file, model(2));
    const err = await expectCorrupt(commit(store, file, { message: 'x' }), 'config.json');
    expect(err.message).toContain('maxChainLength');
    expect(err.message).toContain('"sixteen"');
    expect(err.message).toContain('weightline config maxChainLength 64');
    await expectCorrupt(cleanup(store), 'config.json');
    await expect(store.writeConfig({ ...DEFAULT_CONFIG, maxChainLength: 'sixteen' as unknown as number })).rejects.toMatchObject({ code: 'BAD_USAGE' });
    // Setting the damaged value again repairs the file; the others keep their values.
    await expect(store.updateConfig({ keepFullLatest: 3 })).rejects.toMatchObject({ code: 'CORRUPT' });
    expect(await store.updateConfig({ maxChainLength: 4 })).toEqual({ ...DEFAULT_CONFIG, maxChainLength: 4, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: false });
    expect(await store.readConfig()).toEqual({ ...DEFAULT_CONFIG, maxChainLength: 4, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: false });
    await commit(store, file, { message: 'x' });
  });

  it('{"autoCleanup":"false"} in config.json: not read as true anywhere, refused as CORRUPT', async () => {
    const { store, file, shas } = await history(4);
    await fs.writeFile(stored(store, 'config.json'), JSON.stringify({ autoCleanup: 'false' }));
    await expectCorrupt(store.readConfig(), 'config.json');
    await writeSafetensors(file, model(3));
    await expectCorrupt(commit(store, file, { message: 'x' }), 'config.json');
    for (const sha of shas) expect(await store.hasObject(sha)).toBe(true);
  });

  it('config.json missing or partial reads the defaults; unknown keys survive a write', async () => {
    const { store } = await history(1);
    await fs.rm(stored(store, 'config.json'));
    expect(await store.readConfig()).toEqual(DEFAULT_CONFIG);
    await fs.writeFile(stored(store, 'config.json'), JSON.stringify({ keepFullLatest: 5, futureKey: [1] }));
    expect(await store.readConfig()).toEqual({ ...DEFAULT_CONFIG, keepFullLatest: 5 });
    await store.updateConfig({ autoCleanup: true });
    expect(JSON.parse(await fs.readFile(stored(store, 'config.json'), 'utf8'))).toEqual({ ...DEFAULT_CONFIG, keepFullLatest: 5, autoCleanup: true, futureKey: [1] });
  });

  it('links.json truncated: cleanup refuses and the object behind a restored symlink stays', async () => {
    const { root, store, ids, shas } = await history(5);
    const linked = path.join(root, 'linked', 'model.safetensors');
    await restore(store, ids[1]!, { to: linked, link: 'symlink' });
    expect(Object.keys(await readLinks(store))).toEqual([linked]);
    const text = await fs.readFile(stored(store, 'links.json'), 'utf8');
    await fs.writeFile(stored(store, 'links.json'), text.slice(0, text.length >> 1));
    await expectCorrupt(cleanup(store), 'links.json');
    expect(await store.hasObject(shas[1]!)).toBe(true);
    expect(await sha256Of(linked)).toBe(shas[1]);
  });

  it('links.json holding null: a copy restore still works and leaves it alone; a link restore refuses with CORRUPT naming the file', async () => {
    const { root, store, ids, shas } = await history(2);
    await fs.writeFile(stored(store, 'links.json'), 'null');
    // A copy needs nothing from links.json: the version comes back, the damaged file is untouched for the user to see.
    const out = path.join(root, 'out.safetensors');
    await restore(store, ids[0]!, { to: out, link: 'copy' });
    expect(await sha256Of(out)).toBe(shas[0]);
    expect(await fs.readFile(stored(store, 'links.json'), 'utf8')).toBe('null');
    // A link must be recorded: no guessing over a damaged table.
    const err = await expectCorrupt(restore(store, ids[0]!, { to: path.join(root, 'linked.safetensors'), link: 'hardlink' }), 'links.json');
    expect(err.message).toContain('weightline status');
  });

  it('index.json (a cache) holding null, garbage or the wrong shape: restore and commit work, the cache is rebuilt', async () => {
    const { root, store, file, ids, shas } = await history(2);
    for (const bad of ['null', '{"x":', '[1,2]', JSON.stringify({ [file]: { size: 'big', sha256: 'x' } })]) {
      await fs.writeFile(stored(store, 'index.json'), bad);
      const out = path.join(root, 'out.safetensors');
      await restore(store, ids[0]!, { to: out, link: 'copy', force: true });
      expect(await sha256Of(out)).toBe(shas[0]);
    }
    await fs.writeFile(stored(store, 'index.json'), 'null');
    await writeSafetensors(file, model(5));
    await commit(store, file, { message: 'after a damaged cache' });
    // Saved again whole by the commit.
    expect(Object.keys(await readStatCacheFile(store.dir))).toContain(file);
  });

  it('log-index.json (a cache) holding null or damaged: the log is rebuilt from the manifests', async () => {
    const { store, ids } = await history(3);
    for (const bad of ['null', '{"version":1,"commits":{"' + ids[0] + '":{"parent":5}}}', '\u0000\u0001']) {
      await fs.writeFile(stored(store, 'log-index.json'), bad);
      const entries = await log(store);
      expect(entries.map((e) => e.id).sort()).toEqual([...ids].sort());
    }
    expect(Object.keys(await readLogIndexFile(store.dir)).sort()).toEqual([...ids].sort());
  });

  it('a deleted format.json: open says CORRUPT with the commit count, and init recreates it keeping config.json, commits and objects', async () => {
    const { root, store, ids } = await history(3);
    await store.updateConfig({ maxChainLength: 3, autoCleanup: true });
    await fs.rm(stored(store, 'format.json'));
    const err = await expectCorrupt(Store.open(root), 'format.json');
    expect(err.message).toContain('3 commit(s)');
    expect(err.message).toContain('weightline init');
    // find stops at the damaged store instead of walking past it.
    const sub = path.join(root, 'sub');
    await fs.mkdir(sub);
    await expectCorrupt(Store.find(sub), 'format.json');
    const before = await fs.readFile(stored(store, 'config.json'), 'utf8');
    const again = await Store.init(root);
    expect(await fs.readFile(stored(again, 'config.json'), 'utf8')).toBe(before);
    expect(await again.readConfig()).toEqual({ ...DEFAULT_CONFIG, maxChainLength: 3, maxRouteRead: 4, keepFullLatest: 2, autoCleanup: true });
    expect([...(await again.listCommitIds())].sort()).toEqual([...ids].sort());
    expect(await again.readHead()).toBe(ids[2]);
    expect(await readFormatFile(again.dir)).toBe(1);
  });

  it('init never overwrites: a damaged config.json stays as it is (and is reported when read)', async () => {
    const root = scratch();
    await fs.mkdir(path.join(root, '.weightline'), { recursive: true });
    await fs.writeFile(path.join(root, '.weightline', 'config.json'), '{"maxChainLength":');
    const store = await Store.init(root);
    expect(await fs.readFile(stored(store, 'config.json'), 'utf8')).toBe('{"maxChainLength":');
    await expectCorrupt(store.readConfig(), 'config.json');
  });

  it('a folder without format.json and without commits is not a store', async () => {
    const root = scratch();
    await fs.mkdir(path.join(root, '.weightline', 'commits'), { recursive: true });
    await expect(Store.open(root)).rejects.toMatchObject({ code: 'NOT_A_STORE' });
  });

  it('format.json of another version is STORE_VERSION; damaged is CORRUPT', async () => {
    const root = scratch();
    const store = await Store.init(root);
    // Version 2 (a store that has been through a forget) is this version's own; 3 is a later one.
    await fs.writeFile(stored(store, 'format.json'), JSON.stringify({ format: 'weightline-store', version: 2 }));
    await expect(Store.open(root)).resolves.toBeInstanceOf(Store);
    await fs.writeFile(stored(store, 'format.json'), JSON.stringify({ format: 'weightline-store', version: 3 }));
    await expect(Store.open(root)).rejects.toMatchObject({ code: 'STORE_VERSION' });
    await fs.writeFile(stored(store, 'format.json'), '{"format":"weightline-store","version":"1"}');
    await expectCorrupt(Store.open(root), 'format.json');
    await expectCorrupt(Store.init(root), 'format.json');
  });

  it('a manifest that hashes to its name but has the wrong shape is CORRUPT, not read around', async () => {
    const { store, ids } = await history(2);
    const good = JSON.parse(await fs.readFile(stored(store, `commits/${ids[1]}.json`), 'utf8')) as { files: Array<{ bytes: number; delta: { streams: Array<{ blocks: unknown[] }> } }> };
    const variants: unknown[] = [
      { ...good, files: [{ ...good.files[0]!, bytes: -1 }] },
      { ...good, files: [{ ...good.files[0]!, delta: { ...good.files[0]!.delta, streams: [{ base: 0, blocks: [[3, 0, 1, 'ab']] }] } }] },
      { ...good, parent: 'HEAD' },
      null,
    ];
    for (const v of variants) {
      const bytes = Buffer.from(JSON.stringify(v));
      const id = sha256(bytes);
      await fs.writeFile(stored(store, `commits/${id}.json`), bytes);
      const fresh = await Store.open(store.root);
      await expectCorrupt(fresh.readManifest(id), `${id}.json`);
      await fs.rm(stored(store, `commits/${id}.json`));
    }
  });
});

// ---- property: every reader, any damage ----

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface FileCase {
  readonly name: string;
  /** A cache: never an error, damaged reads as empty. */
  readonly cache: boolean;
  read(store: Store): Promise<unknown>;
  /** Independent of the schemas: is a value the reader returned well formed for this store? */
  valid(value: unknown, ids: readonly string[]): boolean;
}

const isHex64 = (s: unknown): boolean => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isPlainRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const FILES: readonly FileCase[] = [
  {
    name: 'config.json', cache: false,
    read: (s) => readConfigFile(s.dir).then((c) => c.config),
    valid: (v) => isPlainRecord(v) && Number.isSafeInteger(v.maxChainLength) && (v.maxChainLength as number) >= 1
      && Number.isSafeInteger(v.keepFullLatest) && (v.keepFullLatest as number) >= 1 && typeof v.autoCleanup === 'boolean',
  },
  {
    name: 'HEAD', cache: false,
    read: (s) => readHeadFile(s.dir, () => s.listCommitIds()),
    valid: (v, ids) => typeof v === 'string' && ids.includes(v),
  },
  {
    name: 'pins.json', cache: false,
    read: (s) => readPinsFile(s.dir, () => s.listCommitIds()),
    valid: (v, ids) => v instanceof Set && [...v].every((p) => ids.includes(p as string)),
  },
  {
    name: 'links.json', cache: false,
    read: (s) => readLinksFile(s.dir),
    valid: (v) => isPlainRecord(v) && Object.entries(v).every(([p, r]) => path.isAbsolute(p) && isPlainRecord(r)
      && isHex64(r.commit) && isHex64(r.sha256) && ['reflink', 'hardlink', 'symlink'].includes(r.mode as string)),
  },
  {
    name: 'format.json', cache: false,
    read: (s) => readFormatFile(s.dir),
    valid: (v) => v === 1,
  },
  {
    name: 'index.json', cache: true,
    read: (s) => readStatCacheFile(s.dir),
    valid: (v) => isPlainRecord(v) && Object.values(v).every((e) => isPlainRecord(e) && isCount(e.size) && typeof e.mtimeMs === 'number' && typeof e.ino === 'number' && isHex64(e.sha256)),
  },
  {
    name: 'log-index.json', cache: true,
    read: (s) => readLogIndexFile(s.dir),
    valid: (v) => isPlainRecord(v) && Object.entries(v).every(([id, e]) => isHex64(id) && isPlainRecord(e) && (e.parent === null || isHex64(e.parent))
      && (e.type === 'CHECKPOINT' || e.type === 'DELTA') && Array.isArray(e.files)
      && (e.files as unknown[]).every((f) => Array.isArray(f) && f.length === 3 && isHex64(f[0]) && isCount(f[1]) && isCount(f[2]))),
  },
];

/** Byte damage: flip a bit, truncate, cut a byte out, insert garbage, or replace the whole file. */
const damageArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant('shaped' as const), value: fc.anything({ maxDepth: 2, withNullPrototype: false }) }),
);
type Damage = typeof damageArb extends fc.Arbitrary<infer T> ? T : never;

function applyDamage(original: Buffer, d: Damage): Buffer {
  const at = original.length === 0 ? 0 : ('at' in d ? d.at % original.length : 0);
  switch (d.kind) {
    case 'flip': { const b = Buffer.from(original); if (b.length) b[at] = b[at]! ^ (1 << d.bit); return b; }
    case 'truncate': return original.subarray(0, at);
    case 'cut': return Buffer.concat([original.subarray(0, at), original.subarray(at + 1)]);
    case 'insert': return Buffer.concat([original.subarray(0, at), Buffer.from(d.bytes), original.subarray(at)]);
    case 'json': return Buffer.from(JSON.stringify(d.value) ?? 'null');
    case 'shaped': return Buffer.from(JSON.stringify(d.value) ?? 'null');
  }
}

describe('property: every store file reader, under random damage', () => {
  // One real store, made once for all cases: the readers only read (the caches' readers write nothing).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wl-store-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let store: Store;
  let ids: string[];
  const originals = new Map<string, Buffer>();

  beforeAll(async () => {
    const made = await history(3, dir);
    store = made.store;
    ids = made.ids;
    await setPinned(store, ids[0]!, true);
    await restore(store, ids[1]!, { to: path.join(dir, 'linked.safetensors'), link: 'symlink' });
    await restore(store, ids[0]!, { to: path.join(dir, 'copy.safetensors'), link: 'copy' });
    await commitSummaries(store);
    (await StatCache.load(store)); // index.json was written by the commits and restores
    for (const f of FILES) originals.set(f.name, await fs.readFile(stored(store, f.name)));
  }, 60_000);

  for (const f of FILES) {
    it(`${f.name}: the documented default, a well-formed value, or CORRUPT naming the file, nothing else`, async () => {
      const original = originals.get(f.name)!;
      // The undamaged file reads well.
      expect(f.valid(await f.read(store), ids)).toBe(true);
      await fc.assert(fc.asyncProperty(damageArb, async (d) => {
        await fs.writeFile(stored(store, f.name), applyDamage(original, d));
        const outcome: Outcome = await f.read(store).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
        if (f.cache) {
          // A cache never fails; whatever it returns is well formed (or empty).
          expect(outcome.ok).toBe(true);
        }
        if (outcome.ok) {
          expect(f.valid(outcome.value, ids), `${f.name} read as ${JSON.stringify(outcome.value instanceof Set ? [...outcome.value] : outcome.value)}`).toBe(true);
        } else {
          expect(isWeightlineError(outcome.error), String(outcome.error)).toBe(true);
          const e = outcome.error as WeightlineError;
          // Another format version is the one other answer format.json may give.
          expect(f.name === 'format.json' && e.code === 'STORE_VERSION' ? 'CORRUPT' : e.code).toBe('CORRUPT');
          expect(e.message).toContain(path.join(store.dir, f.name));
        }
      }), { numRuns: 300 });
      await fs.writeFile(stored(store, f.name), original);
    });

    if (!f.cache && f.name !== 'format.json' && f.name !== 'HEAD') {
      it(`${f.name} missing reads as its default`, async () => {
        await fs.rm(stored(store, f.name));
        try {
          const v = await f.read(store);
          if (f.name === 'config.json') expect(v).toEqual(DEFAULT_CONFIG);
          else if (f.name === 'pins.json') expect([...(v as Set<string>)]).toEqual([]);
          else expect(v).toEqual({});
        } finally {
          await fs.writeFile(stored(store, f.name), originals.get(f.name)!);
        }
      });
    }
  }

  it('missing caches read as empty; missing format.json reads as "not there"', async () => {
    for (const name of ['index.json', 'log-index.json', 'format.json']) {
      await fs.rm(stored(store, name));
      try {
        const f = FILES.find((x) => x.name === name)!;
        expect(await f.read(store)).toEqual(name === 'format.json' ? undefined : {});
      } finally {
        await fs.writeFile(stored(store, name), originals.get(name)!);
      }
    }
  });
});
