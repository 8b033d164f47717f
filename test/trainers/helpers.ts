// Shared by the trainer recognition tests: the committed fixture runs (written
// by scripts/trainer-writers/write_run.py through
// test/fixtures/trainers/make_trainer_fixtures.py), their manifests, and
// throwaway copies to damage.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const TRAINER_FIXTURES = fileURLToPath(new URL('../fixtures/trainers/', import.meta.url));
export const WRITER = fileURLToPath(new URL('../../scripts/trainer-writers/write_run.py', import.meta.url));

export const RUNS = ['hf', 'hf-sharded', 'lightning', 'keras', 'keras-zip', 'tf', 'plain-numbered', 'plain-inplace'] as const;
export type RunName = (typeof RUNS)[number];

export interface ManifestEntry {
  readonly name: string;
  readonly step: number | null;
  readonly epoch: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  readonly files: Readonly<Record<string, string>>;
}

export function readManifest(path: string): ManifestEntry[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { checkpoints: ManifestEntry[] }).checkpoints;
}

export function fixtureManifest(run: RunName): ManifestEntry[] {
  return readManifest(join(TRAINER_FIXTURES, `${run}.manifest.json`));
}

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wl-trainers-'));
  temps.push(d);
  return d;
}

/** A throwaway copy of a fixture run, to damage or add to; removed after the test. */
export function copyRun(run: RunName): string {
  const d = join(tempDir(), run);
  cpSync(join(TRAINER_FIXTURES, run), d, { recursive: true });
  return d;
}

/** Why a test that runs the writer is skipped, or null when Debian's python has torch. */
export const NO_TORCH: string | null = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, h5py, numpy'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'needs /usr/bin/python3 with torch, h5py and numpy (Debian python3-torch) to run the trainer writers';
  }
})();
