// Shared by the format tests: fixture paths and expectations, temp files, a
// minimal zip writer for hand-made hostile archives, and the layout invariants
// every parser must keep.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { expect } from 'vitest';
import { DTYPE_WIDTH, type FileLayout } from '../../src-main/core/base/layout';
import { WeightlineError } from '../../src-shared/errors';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const MARKER = '/tmp/weightline-pwned-marker';

export interface ExpectedTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly sha256: string;
}

export interface ExpectedFile {
  readonly format: string; // a FileFormat, or "BAD_FORMAT"
  readonly tensors: readonly ExpectedTensor[];
}

export const EXPECTED: Readonly<Record<string, ExpectedFile>> = JSON.parse(
  readFileSync(join(FIXTURES, 'expected.json'), 'utf8'),
) as Record<string, ExpectedFile>;

export function fixture(rel: string): string {
  return join(FIXTURES, rel);
}

export function expectedFor(rel: string): ExpectedFile {
  const e = EXPECTED[rel];
  if (!e) throw new Error(`no expectation for ${rel} in expected.json; re-run make_fixtures.py`);
  return e;
}

/** sha256 of exactly the bytes the layout points at, read without loading the file. */
export async function sha256At(path: string, offset: number, length: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    expect(bytesRead).toBe(length);
    return createHash('sha256').update(buf).digest('hex');
  } finally {
    await handle.close();
  }
}

/** What FileLayout promises: sorted, disjoint, inside the file, lengths matching widths. */
export function checkInvariants(layout: FileLayout): void {
  let end = 0;
  const names = new Set<string>();
  for (const t of layout.tensors) {
    expect(t.offset).toBeGreaterThanOrEqual(end);
    expect(t.length).toBeGreaterThan(0);
    expect(t.offset + t.length).toBeLessThanOrEqual(layout.size);
    expect(t.width).toBeGreaterThanOrEqual(1);
    expect(t.width).toBeLessThanOrEqual(16);
    expect(t.length % t.width).toBe(0);
    if (t.dtype !== 'OTHER') expect(t.width).toBe(DTYPE_WIDTH[t.dtype]);
    expect(names.has(t.name)).toBe(false);
    names.add(t.name);
    end = t.offset + t.length;
  }
  if (layout.format === 'generic') expect(layout.tensors).toEqual([]);
}

/** Checks a layout against the fixture sidecar, bytes included. */
export async function checkAgainstExpected(path: string, layout: FileLayout, expected: ExpectedFile): Promise<void> {
  checkInvariants(layout);
  expect(layout.format).toBe(expected.format);
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const got = [...layout.tensors].map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] })).sort(byName);
  const want = [...expected.tensors].map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] })).sort(byName);
  expect(got).toEqual(want);
  for (const t of layout.tensors) {
    const e = expected.tensors.find((x) => x.name === t.name)!;
    expect(await sha256At(path, t.offset, t.length), `bytes of ${t.name}`).toBe(e.sha256);
  }
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; file: (name: string, data: Uint8Array | string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weightline-formats-'));
  return {
    dir,
    file: (name, data) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Awaits a rejection and returns it as a WeightlineError with the given code. */
export async function rejection(p: Promise<unknown>, code = 'BAD_FORMAT'): Promise<WeightlineError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(WeightlineError);
  const err = caught as WeightlineError;
  expect(err.code).toBe(code);
  return err;
}

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A minimal STORED zip (no zip64, no data descriptors) for hand-made archives. */
export function makeZip(entries: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.data));
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
