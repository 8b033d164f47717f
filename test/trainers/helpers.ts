// Shared by the trainer recognition tests: the committed fixture runs (written
// by scripts/trainer-writers/write_run.py through
// test/fixtures/trainers/make_trainer_fixtures.py), their manifests, and
// throwaway copies to damage.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
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

/** Modification times in the order the writer completed the checkpoints (a git checkout or a copy loses it). */
export const WRITE_TIME_BASE = 1_700_000_000;

/**
 * A throwaway copy of a fixture run, to damage or add to; removed after the
 * test. Its files' mtimes follow the manifest's order (10 s apart, from
 * WRITE_TIME_BASE), as the trainer wrote them; files not in the manifest
 * (sidecars, TF's state file) are as old as the run's first checkpoint.
 */
export function copyRun(run: RunName): string {
  const d = join(tempDir(), run);
  cpSync(join(TRAINER_FIXTURES, run), d, { recursive: true });
  const walk = (at: string): void => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const p = join(at, e.name);
      if (e.isDirectory()) walk(p);
      else utimesSync(p, WRITE_TIME_BASE, WRITE_TIME_BASE);
    }
  };
  walk(d);
  fixtureManifest(run).forEach((entry, i) => {
    for (const rel of Object.keys(entry.files)) {
      const p = join(d, rel);
      if (existsSync(p) && statSync(p).isFile()) utimesSync(p, WRITE_TIME_BASE + 10 * (i + 1), WRITE_TIME_BASE + 10 * (i + 1));
    }
  });
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
