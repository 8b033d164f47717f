// Preloaded with --import: prints the process's peak resident set size on exit,
// so scripts can measure the CLI without changing it.
//
// Linux's VmHWM (this process image's high-water mark) rather than
// getrusage's ru_maxrss: the latter is inherited from the parent across fork,
// so a child of a large process (the benchmark, holding a model in memory)
// would report the parent's size, not its own.
import { readFileSync } from 'node:fs';

process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) kb = Number(hwm[1]);
  } catch { /* not Linux: keep getrusage's figure */ }
  process.stderr.write(`max-rss-kb ${kb}\n`);
});
