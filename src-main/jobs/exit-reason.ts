// Words for a job process that ended without reporting a result: what killed
// it, as far as the exit code, the signal and its last stderr lines tell.
import type { ExitInfo } from './fork';

const OOM_PATTERNS = [/heap out of memory/i, /allocation failed/i, /out of memory/i, /ENOMEM/];

export function describeExit(kind: string, info: ExitInfo, stderrTail: string): string {
  const output = info.fatal ? `${stderrTail}\n${info.fatal}` : stderrTail;
  const tail = lastLines(output, 6);
  const oom = OOM_PATTERNS.some((p) => p.test(output));
  let what: string;
  if (info.startError) what = `could not start (${info.startError})`;
  else if (oom) what = `ran out of memory${info.signal ? ` (${info.signal})` : info.code !== null ? ` (exit code ${info.code})` : ''}`;
  else if (info.signal === 'SIGKILL') what = 'was killed (SIGKILL: by another program, or by the system when memory ran out)';
  else if (info.signal) what = `was killed by ${info.signal}`;
  else if (info.code !== null && info.code !== 0) what = `exited with code ${info.code}`;
  else what = 'ended without reporting a result';
  return `the ${kind} job process ${what}${tail ? `; its last output: ${tail}` : ''}`;
}

// Stack frames and version banners say little to a person; the lines around them do.
const NOISE = [/^at\s/, /^\d+:\s+0x[0-9a-f]+/i, /^Node\.js v/, /^[{}[\]]$/, /^(code|requireStack):/, /^-{3,}$/, /^<-+>/, /^\^+$/];

function lastLines(text: string, n: number): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const telling = lines.filter((l) => !NOISE.some((re) => re.test(l)));
  // A line that names an error beats everything printed around it (GC traces, banners).
  const errors = telling.filter((l) => /error|fatal|out of memory|ENOMEM|ENOSPC|EACCES|abort/i.test(l));
  return (errors.length ? errors.slice(-3) : (telling.length ? telling : lines).slice(-n)).join(' | ').slice(-600);
}
