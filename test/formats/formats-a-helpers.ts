// Shared by the GGUF, legacy torch and HDF5/Keras tests: the sidecars written
// by test/fixtures/make_formats_a.py, a layout check that includes offsets,
// and a fuzz driver for parsers that read files.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { expect } from 'vitest';
import type { FileLayout } from '../../src-main/core/base/layout';
import { WeightlineError } from '../../src-shared/errors';
import { checkAgainstExpected, checkInvariants, FIXTURES, type ExpectedTensor } from './helpers';

export interface ExpectedRegion extends ExpectedTensor {
  readonly offset?: number;
}

export interface ExpectedLayout {
  readonly format: string;
  readonly tensors: readonly ExpectedRegion[];
}

export function sidecar(folder: string): Readonly<Record<string, ExpectedLayout>> {
  return JSON.parse(readFileSync(join(FIXTURES, folder, 'expected.json'), 'utf8')) as Record<string, ExpectedLayout>;
}

export type FileParser = (path: string, size: number) => Promise<FileLayout>;

export async function parseFile(parser: FileParser, path: string): Promise<FileLayout> {
  return parser(path, statSync(path).size);
}

/** Names, dtypes, shapes, the bytes' sha256 and, where the sidecar has them, the offsets. */
export async function checkLayout(path: string, layout: FileLayout, expected: ExpectedLayout): Promise<void> {
  await checkAgainstExpected(path, layout, expected);
  for (const e of expected.tensors) {
    if (e.offset === undefined) continue;
    expect(layout.tensors.find((t) => t.name === e.name)?.offset, `offset of ${e.name}`).toBe(e.offset);
  }
}

/** What a parser may do with damaged input: give a valid layout, or BAD_FORMAT naming the file. */
export async function validOrBadFormat(parser: FileParser, path: string, size: number): Promise<'ok' | 'bad'> {
  try {
    const layout = await parser(path, size);
    expect(layout.size).toBe(size);
    checkInvariants(layout);
    return 'ok';
  } catch (e) {
    if (!(e instanceof WeightlineError)) throw e;
    expect(e.code, e.message).toBe('BAD_FORMAT');
    expect(e.file).toBe(path);
    expect(e.message.length).toBeGreaterThan(path.length + 2);
    return 'bad';
  }
}

/** Truncations at `cuts` lengths: each must be BAD_FORMAT or a valid layout. Returns how many were BAD_FORMAT. */
export async function fuzzTruncations(
  parser: FileParser,
  good: Buffer,
  write: (data: Uint8Array) => string,
  cuts: readonly number[],
): Promise<number> {
  let bad = 0;
  for (const n of cuts) {
    const p = write(good.subarray(0, n));
    if ((await validOrBadFormat(parser, p, n)) === 'bad') bad++;
  }
  return bad;
}

/** Random byte edits (fast-check, seeded): each must be BAD_FORMAT or a valid layout. */
export async function fuzzEdits(
  parser: FileParser,
  good: Buffer,
  write: (data: Uint8Array) => string,
  opts: { runs: number; seed: number; within?: number },
): Promise<void> {
  const span = Math.min(opts.within ?? good.length, good.length);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(span - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      async (edits) => {
        const bytes = Buffer.from(good);
        for (const [at, v] of edits) bytes[at] = v;
        const p = write(bytes);
        await validOrBadFormat(parser, p, bytes.length);
      },
    ),
    { numRuns: opts.runs, seed: opts.seed },
  );
}

/** Every cut in [0, limit) with the given step, plus a few near the end of the file. */
export function cutsOf(size: number, limit: number, step: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < Math.min(limit, size); n += step) out.push(n);
  for (const n of [size - 1, size - 2, size - 7, size - 100, Math.floor(size / 2)]) if (n > 0 && n < size) out.push(n);
  return out;
}
