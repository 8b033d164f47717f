// Expected failures are values with a code the UI and the CLI can act on;
// anything thrown that is not a WeightlineError is a bug and is reported as one.

export type ErrorCode =
  | 'BAD_FORMAT' // a model file that does not parse as what its name or magic says
  | 'NOT_FOUND' // a path, commit or object that does not exist
  | 'NOT_A_STORE' // no .weightline folder at or above the working folder
  | 'AMBIGUOUS' // a commit prefix that matches several commits
  | 'BAD_USAGE' // a call whose arguments do not make sense by themselves (an unknown option, a malformed ref or URL, a value out of bounds): the CLI exits 2
  | 'REFUSED' // a well-formed request that what it found stops (a store around the folder, a target folder that is not empty, a remote of that name, a path of the wrong kind): the CLI exits 1
  | 'DIRTY' // the working copy holds uncommitted work
  | 'CORRUPT' // stored bytes whose checksum does not match
  | 'BROKEN_CHAIN' // a delta chain that cannot be replayed
  | 'LOCKED' // another writer holds the store
  | 'DISK_FULL'
  | 'OVER_BUDGET' // a commit would break the store's disk budget (maxStoreBytes, minFreeBytes): refused before writing
  | 'PERMISSION' // the file system refused (EACCES, EPERM, EROFS): a read-only disk or another owner
  | 'UNSUPPORTED' // the file system cannot do what was asked (a reflink where it has none)
  | 'UNSAFE_PATH' // a manifest path that would escape its target
  | 'STORE_VERSION' // a store written by a newer or older format
  | 'CANCELLED'
  | 'CHANGED_DURING' // a file that changed while it was read
  | 'JOB_CRASHED' // a job process died (signal, exit code, out of memory); the store is left as before the job
  // Remotes (S3-compatible object storage). Messages name the remote and, where one is involved, the key.
  | 'REMOTE_AUTH' // the remote refused the credentials (wrong key or secret, access denied) or none were found
  | 'REMOTE_NOT_FOUND' // the bucket does not exist, or a key the remote should hold is missing
  | 'REMOTE_UNREACHABLE' // the endpoint refuses connections, cannot be resolved, or stopped answering mid-transfer
  | 'CLOCK_SKEW' // the remote refused the request because this machine's clock is too far from its own
  | 'REMOTE_CORRUPT' // a remote object or manifest whose bytes do not hash to its name
  | 'REMOTE_ERROR' // any other refusal by the remote (a server error, an unexpected answer)
  | 'INTERNAL'; // a bug: something other than a WeightlineError was thrown

export interface WeightlineErrorJSON {
  readonly code: ErrorCode;
  readonly message: string;
  readonly file?: string;
}

export class WeightlineError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;

  constructor(code: ErrorCode, message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'WeightlineError';
    this.code = code;
    this.file = file;
  }

  toJSON(): WeightlineErrorJSON {
    return { code: this.code, message: this.message, ...(this.file ? { file: this.file } : {}) };
  }

  static fromJSON(json: WeightlineErrorJSON): WeightlineError {
    const err = new WeightlineError(json.code, json.message);
    Object.defineProperty(err, 'file', { value: json.file });
    return err;
  }
}

export function isWeightlineError(e: unknown): e is WeightlineError {
  return e instanceof WeightlineError;
}
