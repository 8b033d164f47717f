// Errors in plain words: what happened, to which file, and what to do next.
// The engine's message says what happened; the advice depends on the code.
import type { ErrorCode, WeightlineErrorJSON } from '../../../src-shared/errors';

export interface ErrorWords {
  readonly title: string;
  readonly detail: string;
  readonly file: string | null;
  readonly todo: string;
}

// Partial: a code added to the engine later still gets the generic advice.
const advice: Partial<Record<ErrorCode, { title: string; todo: string }>> = {
  BAD_FORMAT: { title: 'This file could not be read as a model file', todo: 'Check that it is a complete .safetensors, .pt/.bin, .npy or .npz file (training may still be writing it), then try again. Nothing was changed.' },
  NOT_FOUND: { title: 'Not found', todo: 'Check the path or commit id and try again.' },
  NOT_A_STORE: { title: 'No Weightline store here', todo: 'Pick the folder that holds the .weightline folder, or create a store in this folder.' },
  AMBIGUOUS: { title: 'That id matches several commits', todo: 'Use more characters of the id.' },
  BAD_USAGE: { title: 'That request did not make sense', todo: 'Check the values you entered and try again.' },
  REFUSED: { title: 'Not done', todo: 'What is already there stops it; the message says what to do instead. Nothing was changed.' },
  DIRTY: { title: 'The working copy has uncommitted changes', todo: 'Commit them first, or choose to overwrite them.' },
  CORRUPT: { title: 'Stored data is damaged', todo: 'Run Verify to see which commits are affected. Versions that do not depend on the damaged data can still be restored.' },
  BROKEN_CHAIN: { title: 'A version cannot be rebuilt', todo: 'A delta it depends on is missing or damaged. Run Verify to see which commits are affected.' },
  LOCKED: { title: 'The store is busy', todo: 'Another Weightline process is writing to this store. Wait for it to finish, then try again.' },
  DISK_FULL: { title: 'The disk is full', todo: 'Free some space (Cleanup shows what it can free), then try again. Nothing was changed.' },
  UNSAFE_PATH: { title: 'A stored path points outside its folder', todo: 'Weightline refused to write it. Restore to another folder or inspect the commit with the CLI.' },
  STORE_VERSION: { title: 'This store was written by another Weightline version', todo: 'Open it with the Weightline version that created it, or upgrade.' },
  CANCELLED: { title: 'Cancelled', todo: 'Nothing was changed.' },
  CHANGED_DURING: { title: 'The file changed while it was read', todo: 'Training may still be writing it. Wait until it is saved, then commit again. Nothing was changed.' },
  JOB_CRASHED: { title: 'The job stopped unexpectedly', todo: 'The store was left as it was before the job. Try again; if it happens again, the machine may be short of memory.' },
  INTERNAL: { title: 'Weightline hit a bug', todo: 'Nothing was changed. Try again; if it keeps happening, report it with the message below.' },
  REMOTE_AUTH: { title: 'The remote refused the credentials', todo: 'Weightline never stores credentials: it uses AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) from the environment it was started in. Fix them there and restart Weightline, then try again. Nothing was changed.' },
  REMOTE_NOT_FOUND: { title: 'Not found on the remote', todo: 'Check the bucket name in the remote\'s URL (Remotes…) and that the bucket exists; if a key is missing, push again from a store that has it.' },
  REMOTE_UNREACHABLE: { title: 'The remote cannot be reached', todo: 'Check the endpoint (Remotes…) and your network, and that the server is running; then try again: it resumes where it stopped.' },
  CLOCK_SKEW: { title: 'This computer\'s clock is wrong', todo: 'The remote refused the request because the clock differs too much from the server\'s. Set the clock right (turn on automatic time), then try again.' },
  REMOTE_CORRUPT: { title: 'Data on the remote is damaged', todo: 'Nothing damaged was written here. Push again from a store that has the data; "weightline verify --remote" lists every damaged key.' },
  REMOTE_ERROR: { title: 'The remote answered with an error', todo: 'Try again; if it keeps happening, check the server\'s logs or run the same action with the CLI to see more.' },
};

export function toErrorJSON(e: unknown): WeightlineErrorJSON {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof (e as { code: unknown }).code === 'string') {
    const x = e as { code: ErrorCode; message: string; file?: unknown };
    return { code: x.code, message: x.message, ...(typeof x.file === 'string' ? { file: x.file } : {}) };
  }
  // Not a WeightlineError: a bug or a transport failure; still say it plainly.
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function errorWords(e: WeightlineErrorJSON): ErrorWords {
  const a = advice[e.code] ?? { title: 'Something went wrong', todo: 'Try again; if it keeps happening, run the same action with the CLI to see more.' };
  // The engine prefixes messages with the file ("x.pt: bad header"); show the file once.
  const file = e.file ?? null;
  const detail = file && e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message;
  return { title: a.title, detail, file, todo: a.todo };
}
