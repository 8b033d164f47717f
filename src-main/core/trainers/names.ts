// What a checkpoint's name says: which names are checkpoints at all, which
// are a trainer's scratch files, and the step, epoch and metrics spelled into
// a name (`epoch=3-step=1200-val_loss=0.41.ckpt`, `step_1000.safetensors`,
// `weights.03-0.41.keras`, `ckpt-7`). Pure functions over strings.

/** Weights files a script saves by hand, recognised as 'plain' checkpoints. */
export const PLAIN_EXTENSIONS = ['.safetensors', '.pt', '.pth', '.bin', '.npz', '.onnx', '.gguf'] as const;
/** Keras ModelCheckpoint: a whole model (`.keras`, a zip) or its weights (`.weights.h5`; Keras 2 also wrote `.h5`). */
export const KERAS_EXTENSIONS = ['.keras', '.weights.h5', '.h5', '.hdf5'] as const;
export const LIGHTNING_EXTENSION = '.ckpt';

/** HF Trainer's folder name: PREFIX_CHECKPOINT_DIR ("checkpoint") + "-" + global_step. */
export const HF_FOLDER = /^checkpoint-(\d+)$/u;
/** TF bundle files: `<prefix>.index` and `<prefix>.data-00000-of-00001`. */
export const TF_INDEX = /^(.+)\.index$/u;
export const TF_DATA = /^(.+)\.data-(\d{5})-of-(\d{5})$/u;
/** TF's CheckpointManager state file (a CheckpointState text proto). */
export const TF_STATE_FILE = 'checkpoint';
/** A shard of a weights file split by size (`model-00001-of-00003.safetensors`): a part, never a checkpoint of its own. */
export const SIZE_SHARD = /-\d{5}-of-\d{5}\.[a-z]+$/u;

/**
 * Names a trainer writes while a save is under way, or that are not the
 * trainer's: dot-files (and the store's `.weightline`), `.tmp`/`.part`/`~`
 * files, HF's `tmp-checkpoint-N` staging folder (older transformers wrote
 * there, then renamed), TF's `<prefix>_temp*` shard staging folders, Keras'
 * `tmpXXXXXXXX` weights scratch file.
 */
export function isScratchName(name: string): boolean {
  return (
    name.startsWith('.') ||
    name.startsWith('tmp-checkpoint-') ||
    /\.(tmp|temp|part|partial|lock)$/iu.test(name) ||
    name.endsWith('~') ||
    /_temp(_[0-9a-f]+)?(\/|$)/iu.test(name) ||
    /^tmp[a-z0-9_]{6,}$/iu.test(name)
  );
}

export function extensionOf(name: string, list: readonly string[]): string | null {
  const lower = name.toLowerCase();
  // Longest first, so `.weights.h5` wins over `.h5`.
  const hit = [...list].sort((a, b) => b.length - a.length).find((e) => lower.endsWith(e) && lower.length > e.length);
  return hit ?? null;
}

export interface NameMeta {
  step?: number;
  epoch?: number;
  metrics: Record<string, number>;
  /** A number in the name that orders checkpoints but is not known to be a step (`ckpt-7`, `model_00100`). */
  number?: number;
}

const KEY = '[A-Za-z_][A-Za-z0-9_]*';
const NUM = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?';
const KEY_VALUE = new RegExp(`(?:^|[-_ ])(${KEY})=(${NUM})(?=$|[-_ ])`, 'gu');

function asCount(text: string): number | undefined {
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The name without the extension the layout gave it (`epoch=3-step=1200-val_loss=0.41.ckpt` → `epoch=3-step=1200-val_loss=0.41`). */
export function stemOf(name: string, extension: string | null): string {
  return extension ? name.slice(0, name.length - extension.length) : name;
}

/**
 * Step, epoch and metrics from a name's stem.
 * - `key=value` parts joined by `-` (Lightning's CHECKPOINT_JOIN_CHAR and
 *   CHECKPOINT_EQUALS_CHAR): `epoch` and `step` become epoch and step, any
 *   other key a metric. Lightning's epoch is its 0-based current_epoch.
 * - Keras' documented template `weights.{epoch:02d}-{val_loss:.2f}`: only the
 *   number right after `weights.` is taken, as the (1-based) epoch; the
 *   numbers after it carry no name, so they are not metrics.
 * - `step_1000`, `step-1000`, `step1000`, `global_step1000` → step;
 *   `epoch_3`, `epoch-3`, `epoch3` → epoch.
 * - Any other trailing number (`ckpt-7`, `model_00100`) only orders.
 */
export function metaFromStem(stem: string): NameMeta {
  const out: NameMeta = { metrics: {} };
  for (const m of stem.matchAll(KEY_VALUE)) {
    const key = m[1]!;
    const value = Number(m[2]);
    if (!Number.isFinite(value)) continue;
    if (key === 'step' || key === 'global_step') {
      const n = asCount(m[2]!);
      if (n !== undefined) out.step = n;
    } else if (key === 'epoch') {
      if (value >= 0) out.epoch = value;
    } else {
      out.metrics[key] = value;
    }
  }
  const keras = /^weights\.(\d+)(?:$|[-.])/u.exec(stem);
  if (keras && out.epoch === undefined) out.epoch = asCount(keras[1]!);
  if (out.step === undefined) {
    const s = /(?:^|[-_.])(?:global_)?step[-_]?(\d+)(?:$|[-_.])/iu.exec(stem);
    if (s) out.step = asCount(s[1]!);
  }
  if (out.epoch === undefined) {
    const e = /(?:^|[-_.])epoch[-_]?(\d+)(?:$|[-_.])/iu.exec(stem);
    if (e) out.epoch = asCount(e[1]!);
  }
  const trailing = /(\d+)$/u.exec(stem);
  if (trailing) out.number = asCount(trailing[1]!);
  return out;
}

/** True when the name has nothing that numbers it: the trainer writes over it each save (`model.pt`, `last.ckpt`, `best_model.keras`). */
export function isFixedName(stem: string, meta: NameMeta): boolean {
  if (/^last(-v\d+)?$/u.test(stem)) return true;
  return meta.step === undefined && meta.epoch === undefined && meta.number === undefined && Object.keys(meta.metrics).length === 0;
}
