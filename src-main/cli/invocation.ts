// How to run this CLI again from the user's shell, for lines a command
// suggests (demo's "Try: ..."). npm installs no global bin here: `weightline`
// works only after `npm link` (or another install onto PATH), and `npx
// weightline` only inside this repository (elsewhere npx would fetch whatever
// the registry calls weightline). So the suggestion is `weightline` when that
// name on PATH is this very script, and `node <absolute script path>` otherwise.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';

/** A word the shell reads as itself: plain, or in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/u.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function real(p: string): string | null {
  try { return realpathSync(p); } catch { return null; }
}

/**
 * The words that run the script at `script` (process.argv[1]) from any
 * folder: `weightline` when the first `weightline` on `pathEnv` is the same
 * file, else `node <absolute path>`.
 */
export function invocationOf(script: string | undefined, pathEnv: string | undefined): string {
  if (!script) return 'weightline';
  const abs = path.resolve(script);
  const self = real(abs);
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const onPath = real(path.join(dir, 'weightline'));
    if (onPath === null) continue;
    // The first weightline on PATH is what the shell runs: it is this one, or another.
    if (onPath === self) return 'weightline';
    break;
  }
  return `node ${shellWord(abs)}`;
}
