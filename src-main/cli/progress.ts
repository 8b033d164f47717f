import type { Progress } from '../../src-shared/model';
import { humanBytes } from './format';

// A progress bar on stderr, only on a terminal: scripts and --json get none.

export function progressBar(stream: NodeJS.WriteStream | undefined): { update: (p: Progress) => void; end: () => void } {
  if (!stream?.isTTY) return { update: () => undefined, end: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.bytesDone < p.bytesTotal) return;
      last = now;
      // A phase with no byte count (writing the commit) shows its name only.
      if (p.bytesTotal <= 0) { stream.write(`\r${p.phase.padEnd(10)}\x1b[K`); shown = true; return; }
      const frac = Math.min(1, p.bytesDone / p.bytesTotal);
      const width = 30;
      const filled = Math.round(frac * width);
      stream.write(`\r${p.phase.padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${humanBytes(p.bytesDone)} / ${humanBytes(p.bytesTotal)}   `);
      shown = true;
    },
    end() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
