// TensorFlow's `checkpoint` state file: a CheckpointState message in protobuf
// text format, rewritten atomically by CheckpointManager after each save
// (update_checkpoint_state_internal → file_io.atomic_write_string_to_file):
//
//   model_checkpoint_path: "ckpt-3"
//   all_model_checkpoint_paths: "ckpt-2"
//   all_model_checkpoint_paths: "ckpt-3"
//   all_model_checkpoint_timestamps: 1700000000.5
//   last_preserved_timestamp: 1699999990.1
//
// Only the two path fields are read; paths are relative to the folder (the
// manager saves relative paths) or absolute.

import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { TF_STATE_FILE } from './names';

export interface TfState {
  /** Absolute prefix of the newest checkpoint. */
  readonly latest: string | null;
  /** Absolute prefixes of every checkpoint the manager still tracks, oldest first. */
  readonly all: readonly string[];
}

/** Bounds what we read of a file named `checkpoint` that might be something else entirely. */
const MAX_STATE_BYTES = 4 * 1024 * 1024;

function unquote(text: string): string | null {
  const m = /^"((?:[^"\\]|\\.)*)"$/u.exec(text.trim());
  if (!m) return null;
  return m[1]!.replace(/\\(["\\'])/gu, '$1');
}

export function parseTfState(text: string, dir: string): TfState {
  let latest: string | null = null;
  const all: string[] = [];
  const resolve = (p: string): string => (isAbsolute(p) ? p : join(dir, p));
  for (const line of text.split('\n')) {
    const m = /^\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*(.+?)\s*$/u.exec(line);
    if (!m) continue;
    const value = unquote(m[2]!);
    if (value === null || value === '') continue;
    if (m[1] === 'model_checkpoint_path') latest = resolve(value);
    else all.push(resolve(value));
  }
  return { latest, all };
}

/** The run's state file, or null when there is none (or it is not one). */
export async function readTfState(dir: string): Promise<TfState | null> {
  let bytes: Buffer;
  try {
    // Sized before it is read: a forged multi-gigabyte state file is not taken into memory.
    const file = join(dir, TF_STATE_FILE);
    const s = await stat(file);
    if (!s.isFile() || s.size > MAX_STATE_BYTES) return null;
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
    throw e;
  }
  if (bytes.length > MAX_STATE_BYTES) return null; // grew between stat and read
  const state = parseTfState(bytes.toString('utf8'), dir);
  return state.latest === null && state.all.length === 0 ? null : state;
}

/** Whether the state names this prefix (compared by absolute path, then by name for a state written with absolute paths elsewhere). */
export function stateNames(state: TfState, prefix: string): boolean {
  const named = [...state.all, ...(state.latest ? [state.latest] : [])];
  return named.some((p) => p === prefix) || named.some((p) => basename(p) === basename(prefix));
}
