// Picks the parser for a file by its extension. Extensions, not magic bytes,
// decide, because a file that claims to be a model and does not parse is worth
// an error; only `.bin`, a name half the world uses for something else, is
// sniffed first and falls back to generic. An empty file has no format to
// break: it is generic whatever its name (any file can be committed; the
// commit refuses a lone empty file itself, saying why).

import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import type { FileLayout } from '../base/layout';
import { readOnnxLayout } from './onnx';
import { describedBySibling, readIndexLayout } from './siblings';
import { readNpyLayout, readNpzLayout } from './numpy';
import { isZipMagic, readPytorchLayout } from './pytorch';
import { isLegacyTorchStart, LEGACY_SNIFF_BYTES } from './pytorch-legacy';
import { readGgufLayout } from './gguf';
import { readHdf5Layout } from './hdf5';
import { readKerasLayout } from './keras';
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
  ['.gguf', readGgufLayout],
  ['.h5', readHdf5Layout], // also Keras's .weights.h5
  ['.hdf5', readHdf5Layout],
  ['.keras', readKerasLayout],
  ['.onnx', readOnnxLayout],
  // TensorFlow bundle index; its .data-K-of-N shards get their layout from it (siblings.ts).
  ['.index', readIndexLayout],
]);

/** True if the file name has an extension readLayout parses (and so rejects when broken). */
export function isModelPath(path: string): boolean {
  return PARSERS.has(extname(path).toLowerCase());
}

async function readBinLayout(path: string, size: number): Promise<FileLayout> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(LEGACY_SNIFF_BYTES);
  let magic: Buffer;
  try {
    magic = head.subarray(0, (await handle.read(head, 0, head.length, 0)).bytesRead);
  } finally {
    await handle.close();
  }
  // A pickle is taken for a checkpoint only if it starts with torch's magic number.
  if (isZipMagic(magic) || isLegacyTorchStart(magic)) return readPytorchLayout(path, size);
  // Else maybe an ONNX model's external data file (weights.bin).
  return (await describedBySibling(path, size)) ?? { format: 'generic', size, tensors: [] };
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
    if (!st.isFile()) throw new WeightlineError('REFUSED', 'expected a regular file, found a directory or device', path);
    size = st.size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new WeightlineError('NOT_FOUND', 'no such file', path);
    }
    throw e;
  }
  if (size === 0) return { format: 'generic', size, tensors: [] };
  try {
    return await parseLayout(path, size);
  } catch (e) {
    throw asParseError(e, path);
  }
}

/**
 * The parser the extension picks, run without readLayout's last guard: the
 * fuzz tests call this to prove that the parsers themselves throw nothing but
 * WeightlineErrors.
 */
export async function parseLayout(path: string, size: number): Promise<FileLayout> {
  const parser = PARSERS.get(extname(path).toLowerCase());
  // A file no extension claims may be described by a file beside it (ONNX external data, TF data shards).
  if (!parser) return (await describedBySibling(path, size)) ?? { format: 'generic', size, tensors: [] };
  return parser(path, size);
}

/**
 * The last guard between a file's bytes and the user: the parsers bound every
 * offset and depth themselves (and are fuzzed to prove it), but should one
 * still throw something that is not ours (a RangeError, a stack overflow), the
 * file's bytes caused it, so the user gets BAD_FORMAT naming the file, not a
 * stack trace that reads as a bug in Weightline. A file system error (an errno code) is not the
 * file's fault and passes through.
 */
function asParseError(e: unknown, path: string): unknown {
  if (e instanceof WeightlineError) return e;
  if (typeof (e as NodeJS.ErrnoException)?.errno === 'number') return e;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new WeightlineError(
    'BAD_FORMAT',
    `expected a ${extname(path) || 'model'} file this reader can parse, found bytes it could not (${what.slice(0, 200)}); if the file was damaged, save it again; if it is not a model, give it another extension and it is stored as plain bytes`,
    path,
  );
}
