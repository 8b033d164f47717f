// Confirming a working copy stat calls "probably changed" is the main side's
// protocol, not the UI's: for each working-copy signature (HEAD + every
// file's stat) one workingCopy job hashes, its answer goes out as the
// `workingCopy` event, and later questions get that answer while the
// signature holds (it holds even where the stat cache could not be saved, a
// read-only store). A check that was cancelled or failed is not started again
// on its own; a recheck (the badge's "Check again") does.
import type { WorkingCopyState } from '../../src-shared/contract';
import type { JobRunner } from '../jobs/runner';

export class WorkingCopyConfirmer {
  private readonly checking = new Map<string, string>();
  private readonly notRetried = new Set<string>();
  private confirmed: { readonly signature: string; readonly state: WorkingCopyState } | null = null;
  private closed = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly root: string,
    private readonly announce: (state: WorkingCopyState) => void,
  ) {}

  /** The answer for a quick (stat only) state: confirmed where a job already hashed, else as it is, starting the job. */
  answer(quick: WorkingCopyState, recheck = false): WorkingCopyState {
    if (quick.state !== 'probably-changed' || this.closed) return quick;
    if (this.confirmed?.signature === quick.signature) return this.confirmed.state;
    if (recheck) this.notRetried.delete(quick.signature);
    if (this.checking.has(quick.signature) || this.notRetried.has(quick.signature)) return quick;
    const jobId = this.runner.start(this.root, { kind: 'workingCopy' });
    this.checking.set(quick.signature, jobId);
    void this.runner.wait(jobId).then((end) => {
      this.checking.delete(quick.signature);
      // Another store was opened meanwhile: this answer is not about it.
      if (this.closed) return;
      if (end.state === 'done' && end.result?.kind === 'workingCopy') {
        this.confirmed = { signature: end.result.value.signature, state: end.result.value };
        this.announce(end.result.value);
      } else {
        this.notRetried.add(quick.signature);
      }
    });
    return quick;
  }

  close(): void {
    this.closed = true;
  }
}
