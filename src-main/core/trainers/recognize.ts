// The recognition module's public face: what watch and import call
// (checkpoint.ts's TrainerRecognition), one function per question.

import type { TrainerRecognition } from './checkpoint';
import { checkpointComplete } from './completion';
import { readCheckpointMeta } from './meta';
import { scanRun } from './scan';

export { checkpointComplete, readCheckpointMeta, scanRun };

export const recognition: TrainerRecognition = { scanRun, checkpointComplete, readCheckpointMeta };
