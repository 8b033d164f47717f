// Entry of the job process (built to out/main/job.js). The app starts it with
// Electron's utilityProcess.fork; browser mode and the tests start the very
// same file with child_process.fork. It runs one job and exits, so a crash or
// an out-of-memory abort takes down only that job, and the store's temp-file
// + rename writes make dying at any instant safe.
import { WeightlineError, isWeightlineError } from '../../src-shared/errors';
import type { Progress } from '../../src-shared/model';
import { connectParent } from './parent-port';
import { toChild, type FromChild } from './protocol';
import { runJob } from './run-job';
import { throttle } from './throttle';

// ~10 progress messages a second at most; the runner throttles again for the UI.
const PROGRESS_INTERVAL_MS = 100;

const port = connectParent();
const controller = new AbortController();
let started = false;
let finished = false;

function send(message: FromChild): void {
  port.post(message);
}

function fail(e: unknown): void {
  if (finished) return;
  finished = true;
  if (isWeightlineError(e)) { send({ type: 'failed', error: e.toJSON(), internal: false }); return; }
  // Not an expected failure: a bug. Keep the message (and the stack on stderr,
  // which the runner quotes if the process then dies).
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  send({ type: 'failed', error: { code: 'INTERNAL', message: `internal error (a bug, please report it): ${message}` }, internal: true });
}

port.onMessage((raw) => {
  const parsed = toChild.safeParse(raw);
  if (!parsed.success) {
    fail(new WeightlineError('BAD_USAGE', `the job process expected a start or cancel message, got: ${JSON.stringify(raw).slice(0, 200)}`));
    port.close();
    return;
  }
  const msg = parsed.data;
  if (msg.type === 'cancel') { controller.abort(); return; }
  if (started) return;
  started = true;
  const progress = throttle((p: Progress) => send({ type: 'progress', progress: p }), PROGRESS_INTERVAL_MS);
  runJob(msg.root, msg.request, { onProgress: progress, signal: controller.signal })
    .then((result) => {
      progress.flush();
      // A job that completed although a cancel arrived late still completed:
      // report what is now in the store rather than pretend it was undone.
      finished = true;
      send({ type: 'done', result });
    }, (e: unknown) => {
      progress.cancel();
      fail(e);
    })
    .finally(() => port.close());
});

// The parent went away (node child_process only): nobody will read the
// result, so stop as a cancel would and leave the store as it was.
process.on('disconnect', () => controller.abort());

for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e: unknown) => {
    fail(e);
    port.close(1);
  });
}
