// Picks the parser for a file by its extension. Extensions, not magic bytes,
// decide, because a file that claims to be a model and does not parse is worth
// an error; only `.bin`, a name half the world uses for something else, is
// sniffed first and falls back to generic. An empty file has no format to
// break: it is generic whatever its name (any file can be committed; the
// commit refuses a lone empty file itself, saying why).

import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { FileLayout } from './layout';
import { readNpyLayout, readNpzLayout } from './numpy';
import { isPickleMagic, isZipMagic, readPytorchLayout } from './pytorch';
import { readSafetensorsLayout } from './safetensors';

type Parser = (path: string, size: number) => Promise<FileLayout>;

const PARSERS: ReadonlyMap<string, Parser> = new Map([
  ['.safetensors', readSafetensorsLayout],
  ['.pt', readPytorchLayout],
  ['.pth', readPytorchLayout],
  ['.ckpt', readPytorchLayout],
  ['.bin', readBinLayout],
  ['.npy', readNpyLayout],
  ['.npz', readNpzLayout],
]);

/** True if the file name has an extension readLayout parses (and so rejects when broken). */
export function isModelPath(path: string): boolean {
  return PARSERS.has(extname(path).toLowerCase());
}

async function readBinLayout(path: string, size: number): Promise<FileLayout> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(4);
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (isZipMagic(magic) || isPickleMagic(magic)) return readPytorchLayout(path, size);
  return { format: 'generic', size, tensors: [] };
}

/**
 * Where the tensors lie in the file at `path`. NOT_FOUND if it does not exist;
 * BAD_FORMAT if its extension names a model format it does not follow;
 * 'generic' with no tensors for every other file, and for an empty one.
 */
export async function readLayout(path: string): Promise<FileLayout> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new WeightlineError('BAD_USAGE', 'expected a regular file, found a directory or device', path);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new WeightlineError('NOT_FOUND', 'no such file', path);
    }
    throw e;
  }
  const parser = PARSERS.get(extname(path).toLowerCase());
  if (!parser || size === 0) return { format: 'generic', size, tensors: [] };
  return parser(path, size);
}
