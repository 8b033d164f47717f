import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** execArgv that runs TypeScript sources in a child process, wherever its cwd is. */
export const TSX_EXEC_ARGV: readonly string[] = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
