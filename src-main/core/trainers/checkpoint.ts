// What a trainer's output folder holds, as watch and import see it: the
// checkpoints in it (one folder, one file, or a TensorFlow prefix's files),
// whether each is complete, and what it says about its step and metrics.
// The layouts and their completion signs, with the trainer source lines they
// were read from: docs/TRAINERS.md.
import type { CommitMeta, Note } from '../../../src-shared/model';

export type TrainerLayout = 'hf-trainer' | 'lightning' | 'keras' | 'tf-checkpoint' | 'plain';

export interface CheckpointFound {
  /** Its name in the run: `checkpoint-500`, `epoch=3-step=1200-val_loss=0.41.ckpt`, `ckpt-7`, `model.pt`. */
  readonly name: string;
  readonly layout: TrainerLayout;
  /**
   * 'folder': one folder of the run (an HF Trainer checkpoint-N);
   * 'file': one file of the run (a .ckpt, .keras, .pt, .safetensors …);
   * 'files': several files of the run folder itself that form one checkpoint
   * (a TF prefix: ckpt-7.index + ckpt-7.data-*), committed as a folder named
   * after the prefix.
   */
  readonly kind: 'folder' | 'file' | 'files';
  /** Absolute path of the folder or file; for 'files', the prefix (run/ckpt-7), which is what a commit records as its source. */
  readonly path: string;
  /** Absolute paths of every file it is made of. */
  readonly files: readonly string[];
  /** The step, when its name or its trainer's state says. */
  readonly step: number | null;
  /** Sort key among the run's checkpoints: the step, else epoch, else a number in the name, else mtime (ms). */
  readonly order: number;
  /**
   * True for a name the trainer writes over in place (`model.pt` saved every
   * epoch, Lightning's `last.ckpt`): its capture must be a copy, since a hard
   * link would change with the next save.
   */
  readonly rewritten: boolean;
}

export type Completion =
  | { readonly state: 'complete' }
  /** Not yet: the completion sign is missing or a file is still being written (what it waits for, in words). */
  | { readonly state: 'writing'; readonly waitingFor: string }
  /** It will not complete: a file is damaged (a zip whose central directory does not parse long after the trainer moved on …). */
  | { readonly state: 'corrupt'; readonly note: Note };

export interface RunScan {
  /** The layout the run's checkpoints are in, or null when nothing recognisable is there (yet). */
  readonly layout: TrainerLayout | null;
  /** Every checkpoint found, complete or not, in order (ascending). */
  readonly checkpoints: readonly CheckpointFound[];
}

/** Functions the recognition module (trainers/) exports; watch and import use only these. */
export interface TrainerRecognition {
  scanRun(dir: string): Promise<RunScan>;
  /**
   * Whether the checkpoint's trainer has finished it, by the trainer's own
   * completion sign and the files' own structure (a zip's central directory
   * parses, a safetensors header and length agree …). That its files have
   * stopped changing over time is the caller's to check (stat twice).
   */
  checkpointComplete(c: CheckpointFound, runDir: string): Promise<Completion>;
  /** Step, epoch, metrics and the trainer's best marker, from trainer_state.json, the name's key=value parts, a sidecar JSON; `run`/`checkpoint` are the caller's. */
  readCheckpointMeta(c: CheckpointFound, runDir: string): Promise<CommitMeta>;
}
