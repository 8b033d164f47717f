import { describe, expect, it } from 'vitest';
import { parseTfState, stateNames } from '../../src-main/core/trainers/tf-state';

describe("TF's `checkpoint` state file", () => {
  it('reads the newest prefix and every tracked one, relative to the folder or absolute', () => {
    const s = parseTfState(
      [
        'model_checkpoint_path: "ckpt-3"',
        'all_model_checkpoint_paths: "ckpt-2"',
        'all_model_checkpoint_paths: "/elsewhere/run/ckpt-3"',
        'all_model_checkpoint_timestamps: 1700000000.5',
        'last_preserved_timestamp: 1699999990.1',
        '',
      ].join('\n'),
      '/runs/a',
    );
    expect(s).toEqual({ latest: '/runs/a/ckpt-3', all: ['/runs/a/ckpt-2', '/elsewhere/run/ckpt-3'] });
    expect(stateNames(s, '/runs/a/ckpt-2')).toBe(true);
    // a state written on another machine names the same prefix by another absolute path
    expect(stateNames(s, '/runs/a/ckpt-3')).toBe(true);
    expect(stateNames(s, '/runs/a/ckpt-1')).toBe(false);
  });

  it('unescapes quoted paths and skips lines it does not know', () => {
    const s = parseTfState('model_checkpoint_path: "my \\"run\\"/ckpt-1"\nsomething_else: 3\nall_model_checkpoint_paths: unquoted\n', '/r');
    expect(s).toEqual({ latest: '/r/my "run"/ckpt-1', all: [] });
  });
});
