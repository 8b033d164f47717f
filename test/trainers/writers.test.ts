// The trainer writers run for real (Debian torch): a run written to the end
// is recognised checkpoint by checkpoint with the bytes the writer recorded,
// after the trainer's own rotation; a writer killed at any byte leaves no
// checkpoint that is 'complete' but differs from one the writer finished.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckpointFound } from '../../src-main/core/trainers/checkpoint';
import { listFolderFiles } from '../../src-main/core/trainers/scan';
import { checkpointComplete, scanRun } from '../../src-main/core/trainers/recognize';
import { NO_TORCH, readManifest, tempDir, WRITER, type ManifestEntry } from './helpers';

const run = promisify(execFile);

const LAYOUTS: readonly { name: string; args: string[]; kept: string[] }[] = [
  // HF keeps the best folder through rotation besides the newest: checked against its trainer_state.json below
  { name: 'hf', args: ['--layout', 'hf'], kept: [] },
  { name: 'hf-sharded', args: ['--layout', 'hf-sharded'], kept: [] },
  { name: 'lightning', args: ['--layout', 'lightning'], kept: [] },
  { name: 'keras', args: ['--layout', 'keras'], kept: [] },
  { name: 'keras-zip', args: ['--layout', 'keras', '--keras-format', 'keras'], kept: [] },
  { name: 'tf', args: ['--layout', 'tf'], kept: ['ckpt-3', 'ckpt-4'] },
  { name: 'plain-numbered', args: ['--layout', 'plain-numbered'], kept: ['step_15.safetensors', 'step_20.safetensors'] },
  { name: 'plain-inplace', args: ['--layout', 'plain-inplace'], kept: ['model.pt'] },
];

async function write(dir: string, args: readonly string[], killAfter?: number): Promise<{ code: number; manifest: ManifestEntry[] }> {
  const manifestPath = `${dir}.manifest.json`;
  const all = [WRITER, '--out', dir, '--checkpoints', '4', '--save-total-limit', '2', '--width', '16', '--seed', '3', '--manifest', manifestPath, ...args];
  if (killAfter !== undefined) all.push('--kill-after-bytes', String(killAfter));
  let code = 0;
  try {
    await run('/usr/bin/python3', all);
  } catch (e) {
    code = (e as { code?: number }).code ?? -1;
    if (code !== 137) throw e;
  }
  return { code, manifest: existsSync(manifestPath) ? readManifest(manifestPath) : [] };
}

async function hashes(c: CheckpointFound, dir: string): Promise<Record<string, string>> {
  const files = c.kind === 'folder' ? await listFolderFiles(c.path) : c.files;
  const out: Record<string, string> = {};
  for (const f of [...files].sort()) out[relative(dir, f)] = createHash('sha256').update(readFileSync(f)).digest('hex');
  return out;
}

/** Every checkpoint reported complete is, byte for byte, one the writer finished under that name. */
async function completeOnesAreFinished(dir: string, manifest: readonly ManifestEntry[]): Promise<string[]> {
  const complete: string[] = [];
  for (const c of (await scanRun(dir)).checkpoints) {
    const r = await checkpointComplete(c, dir);
    if (r.state !== 'complete') continue;
    const h = await hashes(c, dir);
    const match = manifest.some((e) => e.name === c.name && JSON.stringify(e.files) === JSON.stringify(h));
    expect(match, `${c.name} is complete but matches no save the writer finished`).toBe(true);
    complete.push(c.name);
  }
  return complete;
}

describe.skipIf(NO_TORCH !== null)(`trainer writers, run for real${NO_TORCH ? ` (skipped: ${NO_TORCH})` : ''}`, () => {
  for (const layout of LAYOUTS) {
    it(`${layout.name}: a whole run, after rotation, is recognised complete with the writer's bytes`, async () => {
      const dir = join(tempDir(), layout.name);
      const { code, manifest } = await write(dir, layout.args);
      expect(code).toBe(0);
      const complete = await completeOnesAreFinished(dir, manifest);
      const names = (await scanRun(dir)).checkpoints.map((c) => c.name);
      expect(complete).toEqual(names);
      if (layout.kept.length > 0) {
        expect(names).toEqual(layout.kept);
      } else if (layout.name.startsWith('hf')) {
        const state = JSON.parse(readFileSync(join(dir, 'checkpoint-20', 'trainer_state.json'), 'utf8')) as { best_model_checkpoint: string };
        const best = basename(state.best_model_checkpoint);
        expect(names).toEqual(best === 'checkpoint-20' ? ['checkpoint-15', 'checkpoint-20'] : [best, 'checkpoint-20']);
      } else {
        expect(names.length).toBeGreaterThanOrEqual(2);
      }
    });
  }

  for (const layout of LAYOUTS) {
    it(`${layout.name}: killed at any byte, nothing partial is complete`, async () => {
      const probe = join(tempDir(), `${layout.name}-probe`);
      await write(probe, layout.args);
      // The bytes a whole run writes, rotation aside: more than what is left on disk, so kills land in every save.
      const total = readManifest(`${probe}.manifest.json`).reduce((n, e) => n + Object.keys(e.files).reduce((m, f) => m + (existsSync(join(probe, f)) ? readFileSync(join(probe, f)).length : 0), 0), 0) * 2;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: Math.max(2, total) }), async (killAfter) => {
          const dir = join(tempDir(), `${layout.name}-${killAfter}`);
          const { manifest } = await write(dir, layout.args, killAfter);
          await completeOnesAreFinished(dir, manifest);
        }),
        // One kill always lands inside the first save (an HDF5 file is written out of order, its superblock last).
        { numRuns: 4, examples: [[Math.max(1, Math.floor(total / 16))]] },
      );
    });
  }
});
