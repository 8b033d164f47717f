// PLACEHOLDER of the foundation commit: helper "forget-core" writes this file.
import { WeightlineError } from '../../../src-shared/errors';
import type { ForgetPlan, ProgressListener } from '../../../src-shared/model';
import type { RetentionPolicy } from '../../../src-shared/policy/retention';
import type { Store } from '../store/store';

export interface ForgetOptions {
  readonly policy?: RetentionPolicy | undefined;
  readonly refs?: readonly string[] | undefined;
  readonly dryRun: boolean;
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

export async function forgetVersions(_store: Store, _opts: ForgetOptions): Promise<ForgetPlan> {
  throw new WeightlineError('INTERNAL', 'forget is not built yet');
}
