// What the app says after a commit and about a CHECKPOINT's reason: from the
// core's typed facts (checkpointReason, autoCleanup), in the policy's words;
// and the ahead-of-HEAD line of a row's hover text.
import { describe, expect, it } from 'vitest';
import type { CommitId, CommitResult } from '../../src-shared/model';
import { checkpointReasonText } from '../../src-shared/policy/checkpoint';
import { checkpointWhy, commitDoneWords } from '../../src-renderer/src/lib/commit-words';
import { AHEAD_OF_HEAD_TITLE, rowTitle } from '../../src-renderer/src/lib/row-title';
import { cid, entry } from './fake-api';

const ID = cid('c0');
const OLD: CommitId = cid('a0');
const made = (over: Partial<CommitResult> = {}): CommitResult => ({ id: ID, type: 'DELTA', parent: OLD, logicalBytes: 1000, deltaBytes: 100, ...over });

describe('commitDoneWords', () => {
  it('says nothing beyond the new row for a plain commit, or a CHECKPOINT that was asked for or came first', () => {
    expect(commitDoneWords(made())).toBeNull();
    expect(commitDoneWords(made({ type: 'CHECKPOINT', checkpointReason: 'requested' }))).toBeNull();
    expect(commitDoneWords(made({ type: 'CHECKPOINT', checkpointReason: 'first' }))).toBeNull();
  });

  it('names the rule of an automatic CHECKPOINT in the policy\'s words', () => {
    const w = commitDoneWords(made({ type: 'CHECKPOINT', checkpointReason: 'route-read' }))!;
    expect(w.text).toBe(`Committed ${ID.slice(0, 12)} as a CHECKPOINT.`);
    expect(w.details).toEqual([`A CHECKPOINT because ${checkpointReasonText('route-read')}.`]);
  });

  it('says what autoCleanup freed, including the new commit\'s own raw copy, and never that it is kept', () => {
    const w = commitDoneWords(made({ autoCleanup: { bytesFreed: 2_000_000, packs: 1, bytesPackSaved: 500_000, commits: [OLD, ID] } }))!;
    expect(w.details).toEqual([
      'autoCleanup freed 2.5 MB: the full parameters of 1 older commit, this commit\'s own full parameters (it is rebuilt from its delta), 1 CHECKPOINT packed.',
    ]);
    expect(w.details.join(' ')).not.toContain('kept');
    expect(commitDoneWords(made({ autoCleanup: { bytesFreed: 0, packs: 0, bytesPackSaved: 0, commits: [] } }))!.details).toEqual(['autoCleanup ran and found nothing to free.']);
  });

  it('says what the disk budget did before the commit wrote, and what autoForget forgot after its cleanup', () => {
    const note = 'maxStoreBytes (10 MB) asked for 4 MB: emptied the trash of 1 forget (2 MB), then forgot 3 versions by the stored policy.';
    const w = commitDoneWords(made({
      budget: { setting: 'maxStoreBytes', needBytes: 4_000_000, trashOperations: 1, trashBytes: 2_000_000, forgotten: 3, bytesFreed: 5_000_000, note },
      autoCleanup: { bytesFreed: 0, packs: 0, bytesPackSaved: 0, commits: [], autoForget: { policy: '--keep-last 3', forgotten: 2, bytesFreed: 3_000_000 } },
    }))!;
    expect(w.details).toContain(note);
    expect(w.details).toContain('autoForget (--keep-last 3) forgot 2 versions, 3.0 MB freed once the trash is emptied (`weightline undo` or Operations puts them back).');
    expect(commitDoneWords(made({ autoCleanup: { bytesFreed: 0, packs: 0, bytesPackSaved: 0, commits: [], autoForget: { policy: '--keep-last 3', forgotten: 0, bytesFreed: 0 } } }))!.details)
      .toContain('autoForget (--keep-last 3) found nothing to forget.');
  });

  it('an unchanged model: no commit was made', () => {
    expect(commitDoneWords(made({ unchanged: true }))!.text).toBe(`Nothing changed since HEAD (${ID.slice(0, 12)}); no commit was made.`);
  });
});

describe('checkpointWhy', () => {
  it('uses the policy\'s words, but not the CLI\'s flag for one asked for', () => {
    expect(checkpointWhy('chain-length')).toBe(checkpointReasonText('chain-length'));
    expect(checkpointWhy('requested')).not.toContain('--checkpoint');
  });
});

describe('rowTitle', () => {
  it('says a commit is ahead of HEAD, and only then', () => {
    expect(rowTitle(entry(ID, { aheadOfHead: true }), false).split('\n')).toContain(AHEAD_OF_HEAD_TITLE);
    expect(rowTitle(entry(ID), false)).not.toContain('ahead of HEAD');
  });
});
