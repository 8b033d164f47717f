// The one comparison of a working copy with a commit (src-shared/policy/working-copy.ts), alone.
import { describe, expect, it } from 'vitest';
import { combinedVerdict, compareWorkingCopy } from '../../src-shared/policy/working-copy';

const folder = { kind: 'folder' as const, files: [{ path: 'a.bin', sha256: 'a' }, { path: 'b.bin', sha256: 'b' }] };

describe('compareWorkingCopy', () => {
  it('matches only the same files with the same bytes', () => {
    expect(compareWorkingCopy(folder, { kind: 'folder', files: [{ path: 'a.bin', sha256: 'a' }, { path: 'b.bin', sha256: 'b' }] })).toEqual({ verdict: 'matches', changes: [], unknown: [] });
  });

  it('lists modified, deleted and added files in path order', () => {
    const r = compareWorkingCopy(folder, { kind: 'folder', files: [{ path: 'c.txt', sha256: 'c' }, { path: 'a.bin', sha256: 'x' }] });
    expect(r.verdict).toBe('changed');
    expect(r.changes).toEqual([{ path: 'a.bin', change: 'modified' }, { path: 'b.bin', change: 'deleted' }, { path: 'c.txt', change: 'added' }]);
  });

  it('leaves a file only hashing can judge unknown, and a known change outweighs it', () => {
    expect(compareWorkingCopy(folder, { kind: 'folder', files: [{ path: 'a.bin', sha256: null }, { path: 'b.bin', sha256: 'b' }] }))
      .toEqual({ verdict: 'probably-changed', changes: [], unknown: ['a.bin'] });
    expect(compareWorkingCopy(folder, { kind: 'folder', files: [{ path: 'a.bin', sha256: null }, { path: 'b.bin', sha256: 'y' }] }))
      .toEqual({ verdict: 'changed', changes: [{ path: 'b.bin', change: 'modified' }], unknown: ['a.bin'] });
  });

  it('says nothing at the path is missing, every committed file deleted', () => {
    expect(compareWorkingCopy(folder, null)).toEqual({ verdict: 'missing', changes: [{ path: 'a.bin', change: 'deleted' }, { path: 'b.bin', change: 'deleted' }], unknown: [] });
  });

  it('matches a single file by its bytes and names a modified one by the committed name', () => {
    const file = { kind: 'file' as const, files: [{ path: 'model.pt', sha256: 'm' }] };
    expect(compareWorkingCopy(file, { kind: 'file', files: [{ path: 'model.pt', sha256: 'm' }] }).verdict).toBe('matches');
    expect(compareWorkingCopy(file, { kind: 'file', files: [{ path: 'model.pt', sha256: 'n' }] }).changes).toEqual([{ path: 'model.pt', change: 'modified' }]);
    // A folder where the file was: the file is gone and the folder's files are new.
    expect(compareWorkingCopy(file, { kind: 'folder', files: [{ path: 'x', sha256: 'm' }] }).changes).toEqual([{ path: 'model.pt', change: 'deleted' }, { path: 'x', change: 'added' }]);
  });
});

describe('combinedVerdict', () => {
  it('matches only when every path matches; a change outweighs a guess, a guess a missing copy', () => {
    expect(combinedVerdict([])).toBe('matches');
    expect(combinedVerdict(['matches', 'matches'])).toBe('matches');
    expect(combinedVerdict(['matches', 'missing'])).toBe('missing');
    expect(combinedVerdict(['missing', 'probably-changed'])).toBe('probably-changed');
    expect(combinedVerdict(['probably-changed', 'changed', 'matches'])).toBe('changed');
  });
});
