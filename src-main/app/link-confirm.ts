// Confirming restored links that status.get judged from stat alone is the
// main side's protocol, like the working copy's (working-copy-confirm.ts): a
// link whose stat changed since it was last hashed shows no problem (a touched
// file is not a damaged store) until a `status` job has hashed it; the main
// side starts that job once per state of those links (their paths and stats),
// sends what it found as a `linksChecked` event, and answers later status.get
// calls with it while the state holds (also where the stat cache could not be
// saved, a read-only store). A check that was cancelled or failed is not
// started again on its own: the next change of a link's stat does.
import * as fs from 'node:fs/promises';
import type { LinksChecked } from '../../src-shared/contract';
import type { StatusResult } from '../../src-shared/model';
import type { JobRunner } from '../jobs/runner';

export class LinkConfirmer {
  private readonly checking = new Set<string>();
  private readonly notRetried = new Set<string>();
  private confirmed: { readonly key: string; readonly links: LinksChecked['links'] } | null = null;
  private closed = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly root: string,
    private readonly announce: (checked: LinksChecked) => void,
  ) {}

  /** The status to show for a quick one: the confirmed links where a job already hashed them, else the unconfirmed ones left out, starting the job. */
  async answer<S extends Pick<StatusResult, 'links' | 'linksUnconfirmed'>>(quick: S): Promise<S> {
    const unconfirmed = quick.linksUnconfirmed ?? [];
    if (unconfirmed.length === 0 || this.closed) return quick;
    const key = await stateOf(unconfirmed);
    if (this.confirmed?.key === key) {
      const { linksUnconfirmed: _judged, ...rest } = quick;
      return { ...rest, links: this.confirmed.links } as unknown as S;
    }
    const pending = new Set(unconfirmed);
    const shown = { ...quick, links: (quick.links ?? []).filter((l) => !pending.has(l.path)) };
    if (this.checking.has(key) || this.notRetried.has(key)) return shown;
    const jobId = this.runner.start(this.root, { kind: 'status' });
    this.checking.add(key);
    void this.runner.wait(jobId).then((end) => {
      this.checking.delete(key);
      // Another store was opened meanwhile: this answer is not about it.
      if (this.closed) return;
      if (end.state === 'done' && end.result?.kind === 'status') {
        const links = end.result.value.links ?? [];
        this.confirmed = { key, links };
        this.announce({ root: this.root, links });
      } else {
        this.notRetried.add(key);
      }
    });
    return shown;
  }

  close(): void {
    this.closed = true;
  }
}

/** The unconfirmed links' paths and stats: a job's answer holds while they are the same. */
async function stateOf(paths: readonly string[]): Promise<string> {
  const parts = await Promise.all([...paths].sort().map(async (p) => {
    const st = await fs.stat(p).catch(() => null);
    return st ? `${p}\0${st.size}\0${st.mtimeMs}\0${st.ino}` : `${p}\0gone`;
  }));
  return parts.join('\n');
}
