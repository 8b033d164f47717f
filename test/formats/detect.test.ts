import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isModelPath, readLayout } from '../../src-main/core/formats/detect';
import { checkAgainstExpected, EXPECTED, fixture, rejection, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('readLayout picks the parser by extension', () => {
  for (const [rel, expected] of Object.entries(EXPECTED)) {
    it(`${rel} → ${expected.format}`, async () => {
      if (expected.format === 'BAD_FORMAT') {
        await rejection(readLayout(fixture(rel)));
      } else {
        await checkAgainstExpected(fixture(rel), await readLayout(fixture(rel)), expected);
      }
    });
  }

  it('matches extensions case-insensitively', async () => {
    const p = join(tmp.dir, 'MODEL.PT');
    copyFileSync(fixture('tiny.pt'), p);
    expect((await readLayout(p)).format).toBe('pytorch-zip');
    expect(isModelPath('a/b.SafeTensors')).toBe(true);
    expect(isModelPath('a/b.json')).toBe(false);
  });

  it('other files are generic', async () => {
    const layout = await readLayout(tmp.file('notes.txt', 'hello'));
    expect(layout).toEqual({ format: 'generic', size: 5, tensors: [] });
    expect((await readLayout(tmp.file('empty.json', ''))).format).toBe('generic');
  });
});

describe('readLayout on .bin', () => {
  it('a torch zip named .bin is a checkpoint (pytorch_model.bin)', async () => {
    const p = join(tmp.dir, 'pytorch_model.bin');
    copyFileSync(fixture('tiny.pt'), p);
    const layout = await readLayout(p);
    expect(layout.format).toBe('pytorch-zip');
    expect(layout.tensors.length).toBe(9);
  });

  it('a legacy torch pickle named .bin is read as one', async () => {
    const p = join(tmp.dir, 'legacy.bin');
    copyFileSync(fixture('legacy.pt'), p);
    expect((await readLayout(p)).format).toBe('pytorch-legacy');
  });

  it('any other .bin is generic, not an error', async () => {
    expect((await readLayout(tmp.file('tokenizer.bin', Buffer.from([1, 2, 3, 4, 5])))).format).toBe('generic');
    expect((await readLayout(tmp.file('tiny.bin', Buffer.from([7])))).format).toBe('generic');
  });

  it('an empty .bin is generic, like any empty file (a lone empty file is refused by commit, saying why)', async () => {
    expect(await readLayout(tmp.file('empty.bin', ''))).toEqual({ format: 'generic', size: 0, tensors: [] });
  });
});

describe('readLayout errors', () => {
  it('missing file is NOT_FOUND', async () => {
    const p = join(tmp.dir, 'nope.safetensors');
    const err = await rejection(readLayout(p), 'NOT_FOUND');
    expect(err.file).toBe(p);
  });

  it('a path through a file is NOT_FOUND', async () => {
    const f = tmp.file('plain', 'x');
    await rejection(readLayout(join(f, 'model.pt')), 'NOT_FOUND');
  });

  it('a directory is REFUSED', async () => {
    const d = join(tmp.dir, 'dir.safetensors');
    mkdirSync(d);
    await rejection(readLayout(d), 'REFUSED');
  });

  for (const ext of ['.safetensors', '.pt', '.pth', '.ckpt', '.npy', '.npz']) {
    it(`an empty ${ext} file has no format to break: generic`, async () => {
      expect(await readLayout(tmp.file(`empty${ext}`, ''))).toEqual({ format: 'generic', size: 0, tensors: [] });
    });
  }
});
