#!/usr/bin/env node
// Command-line entry. Runs the bundled CLI (out/main/cli.js, built by
// `npm run build`); kept tiny so startup stays fast.
import { existsSync } from 'node:fs';

const cli = new URL('../out/main/cli.js', import.meta.url);

if (!existsSync(cli)) {
  process.stderr.write('weightline: error: not built; run npm run build\n');
  process.exit(1);
}

// `weightline log | head` closes the pipe early: stop quietly, as git does,
// instead of dying with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
