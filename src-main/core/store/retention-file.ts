import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';
import { isEmptyPolicy, type RetentionPolicy } from '../../../src-shared/policy/retention';
import { fsyncDir, writeFileAtomic } from '../base/fsutil';
import { withWriteLock } from './lock';
import { retentionFileContent } from './store-files';
import type { Store } from './store';

// The stored retention policy (retention.json): what `forget` with no flags,
// autoForget and the disk budget apply. Written under the write lock.

export async function writeRetentionPolicy(store: Store, policy: RetentionPolicy | null): Promise<void> {
  if (policy && isEmptyPolicy(policy)) {
    throw new WeightlineError('BAD_USAGE', 'expected a retention policy with at least one rule (--keep-last, --keep-best, --keep-every, --keep-within, --keep-tag), found none; to store no policy, remove it (`weightline forget --clear-policy`)');
  }
  const file = path.join(store.dir, 'retention.json');
  await withWriteLock(store, 'retention', async () => {
    if (policy) await writeFileAtomic(file, retentionFileContent(policy));
    else { await fs.rm(file, { force: true }); await fsyncDir(store.dir); }
  });
}
