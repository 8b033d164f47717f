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

function lastLines(text: string, n: number): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ').slice(-600);
}
