// Browser mode has no native file picker: the UI shows a path field and asks
// the server what could come next. `~` means the home folder; a prefix ending
// in a separator lists that folder; otherwise the entries of its folder whose
// names start with its last part. Hidden entries only when asked for with a dot.
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { PathEntry } from '../../src-shared/contract';

const MAX_ENTRIES = 200;

export async function completePath(prefix: string): Promise<PathEntry[]> {
  let p = prefix.trim();
  if (p === '' || p === '~') p = homedir() + path.sep;
  else if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) p = path.join(homedir(), p.slice(2)) + (/[\\/]$/.test(p) ? path.sep : '');
  if (!path.isAbsolute(p)) p = path.join(homedir(), p);
  const endsWithSep = /[\\/]$/.test(p);
  const dir = endsWithSep ? p : path.dirname(p);
  const start = endsWithSep ? '' : path.basename(p);
  let names: Dirent[];
  try {
    names = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return []; // no such folder (yet): nothing to offer, not an error while typing
  }
  const showHidden = start.startsWith('.');
  const picked = names
    .filter((d) => d.name.startsWith(start) && (showHidden || !d.name.startsWith('.')))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MAX_ENTRIES);
  return Promise.all(picked.map(async (d): Promise<PathEntry> => {
    const full = path.join(dir, d.name);
    let isDir = d.isDirectory();
    if (d.isSymbolicLink()) isDir = await fs.stat(full).then((s) => s.isDirectory(), () => false);
    return { name: d.name, path: full, dir: isDir };
  }));
}
