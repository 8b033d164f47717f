// Which file a job process runs. The rule: if this module is itself running
// as TypeScript source (vitest, tsx), run the TypeScript entry next to it
// under tsx; otherwise this module is part of the built bundle in out/main/
// (index.js, cli.js, or a chunk in out/main/chunks/) and the job entry is the
// built out/main/job.js beside it. The file extension of the running module
// decides, so a stale build can never be picked up by tests, nor the sources
// by the app.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface JobEntry {
  /** Absolute path of the script to fork. */
  readonly script: string;
  /** Node flags for the child (e.g. the tsx loader when running from source). */
  readonly execArgv: readonly string[];
}

export function resolveJobEntry(moduleUrl: string = import.meta.url): JobEntry {
  const here = fileURLToPath(moduleUrl);
  const dir = dirname(here);
  if (/\.[cm]?tsx?$/.test(here)) {
    // tsx resolved from here, as a file URL: a bare "tsx" would be looked up
    // from the child's working folder, which can be anywhere.
    const tsx = pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href;
    return { script: join(dir, 'job-process.ts'), execArgv: ['--import', tsx] };
  }
  // Bundled: this code sits in out/main/<entry>.js or out/main/chunks/<chunk>.js.
  const candidates = [join(dir, 'job.js'), join(dir, '..', 'job.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error(`the job process entry is missing: expected job.js at ${candidates.join(' or ')}; run "npm run build"`);
  }
  return { script: found, execArgv: [] };
}
