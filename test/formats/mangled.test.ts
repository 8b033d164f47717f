// Mangled model files (issue 18, "Mangled files and odd states"): whatever the
// bytes, a parser gives a layout whose regions lie inside the file, or throws a
// WeightlineError (BAD_FORMAT naming the file); never a RangeError, a stack
// overflow or a crash from a callback.

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLayout, readLayout } from '../../src-main/core/formats/detect';
import type { FileLayout } from '../../src-main/core/base/layout';
import { parsePickle } from '../../src-main/core/formats/pickle';
import { planStorages } from '../../src-main/core/formats/pytorch-storages';
import { rng } from '../../src-shared/seeded-random';
import { WeightlineError } from '../../src-shared/errors';
import { FIXTURES } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'wl-mangled-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function writeTemp(name: string, bytes: Uint8Array): string {
  const dir = join(work, `t${n++ % 8}`);
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Regions sorted, non-overlapping, each inside the file. */
function checkRegions(layout: FileLayout, size: number, label: string): void {
  expect(layout.size, label).toBe(size);
  let end = 0;
  for (const t of layout.tensors) {
    const ok = Number.isSafeInteger(t.offset) && Number.isSafeInteger(t.length) && t.offset >= end && t.length > 0 && t.offset + t.length <= size;
    expect(ok, `${label}: region ${t.name} [${t.offset}, +${t.length}) in a ${size}-byte file after byte ${end}`).toBe(true);
    end = t.offset + t.length;
  }
}

/** The one allowed failure: a WeightlineError; anything else fails the test with the input named. */
async function outcome(path: string, label: string): Promise<'ok' | 'bad'> {
  const size = statSync(path).size;
  try {
    checkRegions(await parseLayout(path, size), size, label);
    return 'ok';
  } catch (e) {
    if (e instanceof WeightlineError) {
      expect(e.code, `${label}: ${e.message}`).toBe('BAD_FORMAT');
      return 'bad';
    }
    throw new Error(`${label}: expected a layout or a WeightlineError, got ${(e as Error)?.stack ?? String(e)}`);
  }
}

function le32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function le64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
}

function patched(bytes: Buffer, at: number, value: Buffer): Buffer {
  const out = Buffer.from(bytes);
  value.copy(out, at);
  return out;
}

const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

describe('zip64 and zip offsets in real torch.save, npz and keras files', () => {
  it('the zip64 end-of-central-directory locator offset set near 2^55 is BAD_FORMAT, not a RangeError', async () => {
    const good = fixture('tiny.pt');
    const loc = good.lastIndexOf(Buffer.from('PK\x06\x07', 'latin1'));
    expect(loc).toBeGreaterThan(0); // torch.save writes zip64 records
    const p = writeTemp('m.pt', patched(good, loc + 8, le64(2n ** 55n - 3n)));
    const err = await parseLayout(p, statSync(p).size).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightlineError);
    expect((err as WeightlineError).code).toBe('BAD_FORMAT');
    expect((err as WeightlineError).message).toMatch(/zip64 end-of-central-directory offset is 36028797018963965, far beyond the file's 3178 bytes/);
  });

  // Every field of the end records, each set to values past the file.
  const HUGE64 = [2n ** 55n, 2n ** 63n, 2n ** 64n - 1n, 0xffffffffn];
  const HUGE32 = [0xffffffff, 0x7fffffff, 0xfffffffe];
  for (const name of ['tiny.pt', 'params.pt', 'train-state.pt']) {
    it(`${name}: every zip64 record field (entry count, directory size and offset, locator) set past the file`, async () => {
      const good = fixture(name);
      const loc = good.lastIndexOf(Buffer.from('PK\x06\x07', 'latin1'));
      const rec = good.lastIndexOf(Buffer.from('PK\x06\x06', 'latin1'));
      let bad = 0;
      for (const at of [loc + 8, rec + 24, rec + 32, rec + 40, rec + 48]) {
        for (const v of [...HUGE64, BigInt(good.length), BigInt(good.length - 1), 0n]) {
          if ((await outcome(writeTemp(name, patched(good, at, le64(v))), `${name} @${at}=${v}`)) === 'bad') bad++;
        }
      }
      expect(bad).toBeGreaterThan(0);
    });
  }

  for (const name of ['tiny.pt', 'tiny-deflated.pt', 'arrays.npz', 'arrays-compressed.npz', 'keras/keras3-0001.keras']) {
    it(`${name}: every central directory entry's sizes, local header offset and zip64 extra values set past the file`, async () => {
      const good = fixture(name);
      const base = name.replace(/.*\//, '');
      const sig = Buffer.from('PK\x01\x02', 'latin1');
      const eocd = good.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
      let runs = 0;
      for (let at = good.indexOf(sig); at >= 0; at = good.indexOf(sig, at + 4)) {
        for (const field of [20, 24, 42]) {
          for (const v of HUGE32) {
            await outcome(writeTemp(base, patched(good, at + field, le32(v))), `${name} entry@${at}+${field}=${v}`);
            runs++;
          }
        }
        // The zip64 extra field, where numpy and Keras put 64-bit sizes and offsets.
        const nameLen = good.readUInt16LE(at + 28);
        const extraLen = good.readUInt16LE(at + 30);
        for (let x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen; x += 4 + good.readUInt16LE(x + 2)) {
          if (good.readUInt16LE(x) !== 1) continue;
          for (let f = x + 4; f + 8 <= x + 4 + good.readUInt16LE(x + 2); f += 8) {
            for (const v of HUGE64) {
              await outcome(writeTemp(base, patched(good, f, le64(v))), `${name} zip64 extra@${f}=${v}`);
              runs++;
            }
          }
        }
      }
      // The end record's count, directory size and offset.
      const eocdEdits: [number, Buffer][] = [
        ...[8, 10].flatMap((field) => [0xffff, 0xfffe].map((v): [number, Buffer] => [field, Buffer.from([v & 0xff, v >> 8])])),
        ...[12, 16].flatMap((field) => HUGE32.map((v): [number, Buffer] => [field, le32(v)])),
      ];
      for (const [field, value] of eocdEdits) {
        await outcome(writeTemp(base, patched(good, eocd + field, value)), `${name} eocd+${field}=${value.toString('hex')}`);
        runs++;
      }
      expect(runs).toBeGreaterThan(10);
    });
  }
});

describe('deep nesting', () => {
  it('a safetensors header nested 500,000 deep is BAD_FORMAT, not a stack overflow', async () => {
    const depth = 500_000;
    const json = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    const p = writeTemp('deep.safetensors', Buffer.concat([head, json]));
    const err = await readLayout(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightlineError);
    expect((err as WeightlineError).code).toBe('BAD_FORMAT');
    expect((err as WeightlineError).message).toMatch(/nested at most 64 levels deep/);
  });

  it('brackets inside header strings are not nesting', async () => {
    const names = '['.repeat(200);
    const json = Buffer.from(JSON.stringify({ __metadata__: { note: names }, [`w${names}`]: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }));
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    const layout = await readLayout(writeTemp('brackets.safetensors', Buffer.concat([head, json, Buffer.from([7])])));
    expect(layout.tensors.map((t) => t.name)).toEqual([`w${names}`]);
  });

  it('a pickle of lists nested 500,000 deep parses and plans without a stack overflow', () => {
    const depth = 500_000;
    // PROTO 2, EMPTY_LIST × depth, APPEND × (depth − 1), STOP
    const bytes = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(depth, 0x5d), Buffer.alloc(depth - 1, 0x61), Buffer.from('.')]);
    let plans: unknown;
    try {
      plans = planStorages(parsePickle(bytes));
    } catch (e) {
      if (!(e instanceof WeightlineError)) throw e;
      plans = [];
    }
    expect(plans).toEqual([]);
  });
});

// ---- the generic fuzz: every fixture ----

function fixtureFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'legacy-store') walk(p);
      } else if (!/\.(py|md|mjs)$|^expected\.json$/.test(e.name)) out.push(relative(FIXTURES, p));
    }
  };
  walk(FIXTURES);
  return out.sort();
}

/**
 * Positions of little-endian integers that look like a length or an offset
 * into the file (0 < value <= size): the fields a hostile writer would bend.
 */
function lengthFields(bytes: Buffer, width: 4 | 8): number[] {
  const out: number[] = [];
  for (let i = 0; i + width <= bytes.length; i++) {
    const v = width === 4 ? bytes.readUInt32LE(i) : Number(bytes.readBigUInt64LE(i));
    if (v > 0 && v <= bytes.length) out.push(i);
  }
  return out;
}

function pick<T>(xs: readonly T[], k: number, rand: () => number): T[] {
  if (xs.length <= k) return [...xs];
  return Array.from({ length: k }, () => xs[Math.floor(rand() * xs.length)]!);
}

describe('every fixture, mangled: a layout inside the file or a WeightlineError', () => {
  const files = fixtureFiles();
  it('finds the fixtures', () => expect(files.length).toBeGreaterThan(50));

  files.forEach((name, index) => {
    it(`${name}: truncations, random byte edits, and length/offset fields set past the file`, async () => {
      // Siblings matter (ONNX external data, TF shards): the whole folder is copied and one file mangled.
      const folder = join(work, `fuzz-${index}`);
      const src = join(FIXTURES, name);
      const dir = join(FIXTURES, name, '..');
      cpSync(dir, folder, { recursive: true, filter: (s) => !s.includes('legacy-store') });
      const target = join(folder, relative(dir, src));
      const good = readFileSync(src);
      const rand = rng(0x5eed + index);
      const run = async (bytes: Uint8Array, label: string): Promise<void> => {
        writeFileSync(target, bytes);
        await outcome(target, `${name} ${label}`);
      };
      try {

      const cuts = new Set<number>([0, 1, 4, 7, 8, 9, good.length - 1, good.length - 4, good.length - 22, good.length - 23, good.length - 42]);
      for (let i = 0; i < 16; i++) cuts.add(Math.floor(rand() * good.length));
      for (const cut of cuts) if (cut >= 0 && cut < good.length) await run(good.subarray(0, cut), `cut at ${cut}`);

      // Random edits, weighted to the first and last 4 KiB where headers, pickles and zip records live.
      for (let r = 0; r < 25; r++) {
        const bytes = Buffer.from(good);
        const edits: string[] = [];
        for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
          const span = Math.min(4096, good.length);
          const zone = rand();
          const at = zone < 0.4 ? Math.floor(rand() * span) : zone < 0.8 ? good.length - 1 - Math.floor(rand() * span) : Math.floor(rand() * good.length);
          bytes[at] = Math.floor(rand() * 256);
          edits.push(`${at}=${bytes[at]}`);
        }
        await run(bytes, `edits ${edits.join(',')}`);
      }

      const values32 = (size: number): number[] => [0, 1, size - 1, size, size + 1, 0x7fffffff, 0xffffffff];
      for (const at of pick(lengthFields(good, 4), 20, rand)) {
        for (const v of pick(values32(good.length), 3, rand)) await run(patched(good, at, le32(v)), `u32@${at}=${v}`);
      }
      const values64 = (size: number): bigint[] => [BigInt(size + 1), 2n ** 53n, 2n ** 55n, 2n ** 63n, 2n ** 64n - 1n];
      for (const at of pick(lengthFields(good, 8), 10, rand)) {
        for (const v of pick(values64(good.length), 2, rand)) await run(patched(good, at, le64(v)), `u64@${at}=${v}`);
      }
      // Varints (protobuf, GGUF string lengths as bytes): a byte with its continuation bit set runs on.
      for (let r = 0; r < 10; r++) {
        const at = Math.floor(rand() * Math.min(good.length, 4096));
        await run(patched(good, at, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff].slice(0, Math.min(5, good.length - at)))), `varint run@${at}`);
      }
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
