// PLACEHOLDER of the foundation commit: helper "trash-undo" writes this file.
import { WeightlineError } from '../../../src-shared/errors';
import type { OpInfo, ProgressListener, TrashInfo, UndoResult } from '../../../src-shared/model';
import type { Store } from '../store/store';

export interface UndoOptions {
  readonly op?: string | undefined;
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

export async function undoOperation(_store: Store, _opts: UndoOptions): Promise<UndoResult> {
  throw new WeightlineError('INTERNAL', 'undo is not built yet');
}

export async function listOperations(_store: Store): Promise<{ ops: OpInfo[]; trash: TrashInfo }> {
  return { ops: [], trash: { bytes: 0, operations: 0, goneBy: null } };
}
