#!/usr/bin/env node
// Command-line entry. Runs the bundled CLI (out/main/cli.js, built by
// `npm run build`); kept tiny so startup stays fast.
import { existsSync } from 'node:fs';

const cli = new URL('../out/main/cli.js', import.meta.url);

if (!existsSync(cli)) {
  process.stderr.write('weightline: error: not built; run npm run build\n');
  process.exit(1);
}

const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
