// Preloaded with --import: prints the process's peak resident set size on exit,
// so scripts can measure the CLI without changing it.
process.on('exit', () => {
  process.stderr.write(`max-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
