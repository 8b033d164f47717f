import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';

// The one gate for paths that come from a manifest (docs/STORE-FORMAT.md,
// "Path rules"). A manifest is data anyone with write access to a remote can
// forge, and its paths become file names on the user's disk: a path that
// leaves its target, or lands in a folder another program executes from
// (`.git/config` runs commands on the next `git status`; `.weightline/` is
// the store itself), must never reach the file system. Commit, the store's
// manifest reader, fetch and restore all ask this module, so a rule added
// here holds everywhere.

/** Longest file or folder name, in UTF-8 bytes: what ext4, APFS, NTFS and most others take. */
export const MAX_NAME_BYTES = 255;
/** Longest whole path, in UTF-8 bytes (Linux's PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

// C0 controls, DEL, C1 controls (U+009B is a one-character CSI on some
// terminals) and the bidi overrides and isolates, which make a name read as
// another on screen.
// eslint-disable-next-line no-control-regex -- finding control characters is this regex's job
const FORBIDDEN_CHAR = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

// With the u flag a surrogate range matches only unpaired halves: JSON's "\ud800" escape
// makes a string no file name can hold (it would be written as U+FFFD, another name).
const LONE_SURROGATE = /[\ud800-\udfff]/u;

// Code points HFS+ ignores when it compares names, so `.g\u200cit` is `.git`
// there (git's CVE-2014-9390 list).
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/gu;

// eslint-disable-next-line no-control-regex -- the ASCII range, which starts at U+0000
const NON_ASCII = /[^\u0000-\u007f]/u;
const NEEDS_TRIM = /[:\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]|[. ]$/u;

/** Folders whose files other programs run or the store reads as its own: never written from a manifest. */
const RESERVED = ['.git', '.weightline', '.hg'] as const;
const RESERVED_WHAT: Record<(typeof RESERVED)[number], string> = {
  '.git': "Git's own folder, whose config can run commands",
  '.hg': "Mercurial's own folder, whose config can run commands",
  '.weightline': "the store's own folder",
};

/**
 * A name as case-insensitive, trailing-dot-trimming file systems read it:
 * Windows drops trailing dots and spaces and reads `name:stream` as `name`
 * (`.git::$INDEX_ALLOCATION` is the folder `.git`), HFS+ drops the code
 * points above, and every common desktop file system ignores case.
 */
export function foldName(name: string): string {
  // Most names have nothing to trim: only case to fold (a fast path that keeps 200,000-file manifests quick).
  if (!NEEDS_TRIM.test(name)) return NON_ASCII.test(name) ? name.normalize('NFC').toLowerCase() : name.toLowerCase();
  const colon = name.indexOf(':');
  const base = (colon >= 0 ? name.slice(0, colon) : name).replace(HFS_IGNORED, '');
  // NFC as well: macOS reads a composed and a decomposed é as one name.
  return base.replace(/[. ]+$/u, '').normalize('NFC').toLowerCase();
}

/** The reserved folder a name stands for on some file system (`.Git.`, `.WEIGHTLINE `, `GIT~1`), or null. */
export function reservedName(name: string): (typeof RESERVED)[number] | null {
  // Every reserved spelling starts with "." once HFS+'s ignored code points are gone, or is a short name with "~".
  if (name.charCodeAt(0) !== 0x2e && !name.includes('~') && !NEEDS_TRIM.test(name)) return null;
  const folded = foldName(name);
  // toUpperCase as well: NTFS compares by an upcase table, where a dotless ı is I.
  const upper = folded.toUpperCase();
  for (const r of RESERVED) {
    // Trailing dots are trimmed by foldName, so ".git." folds to ".git"; the reserved names themselves end in a letter.
    if (folded === r || upper === r.toUpperCase()) return r;
  }
  // Windows' 8.3 short names: `.git` is also GIT~1, `.weightline` WEIGHT~1.
  const short = /^(git|weight|hg)~[0-9]+$/u.exec(folded);
  if (short) return short[1] === 'git' ? '.git' : short[1] === 'hg' ? '.hg' : '.weightline';
  return null;
}

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A path or name as it may be quoted in a message: JSON-quoted (control characters escaped), at most 80 characters. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 40)}…${s.slice(-20)}` : s);
}

/**
 * Where a manifest comes from. `remote` (fetched, or about to be written by
 * commit) passes every rule. `stored` (a manifest already in this store's
 * commits/) also passes them all but two that older versions did not keep:
 * their folder commits took a `.git` inside the folder along (a Hugging Face
 * model cloned with git), and names that differ only in case are two files
 * on Linux. Refusing to read those commits would lose them; restore instead
 * never writes a reserved name (`reservedPath`).
 */
export type ManifestOrigin = 'remote' | 'stored';

/** Why one file or folder name of a manifest path is unsafe, or null; `allowReserved` leaves reserved names to restore's own rule. */
export function nameProblem(name: string, allowReserved = false): string | null {
  if (name === '') return 'has an empty part (a leading, trailing or doubled "/")';
  // "..." and ". ." are "." or ".." (or nothing) where trailing dots and spaces are dropped.
  if (/^[. ]+$/u.test(name)) return `has a part ${quote(name)} that means this folder or the one above it`;
  const bytes = utf8Bytes(name);
  if (bytes > MAX_NAME_BYTES) return `has a name of ${bytes} bytes, longer than the ${MAX_NAME_BYTES} bytes file systems take`;
  const reserved = allowReserved ? null : reservedName(name);
  if (reserved) return `has a part ${quote(name)}${name === reserved ? '' : `, which file systems read as ${reserved}`}: ${RESERVED_WHAT[reserved]}`;
  return null;
}

/**
 * Why a relative manifest path (posix, "a/b/c") is unsafe, or null when it is
 * safe to join under any folder. The answer starts with the path, quoted:
 * `".git/HEAD" has a part ".git": …`.
 */
export function pathProblem(rel: string, allowReserved = false): string | null {
  const q = (): string => quote(rel); // only on the way out: quoting every good path would cost more than checking it
  if (rel === '') return '"" is empty';
  if (LONE_SURROGATE.test(rel)) return `${q()} is not well-formed Unicode`;
  const bad = FORBIDDEN_CHAR.exec(rel);
  if (bad) return `${q()} holds the control character U+${bad[0].codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase()}`;
  if (rel.includes('\\')) return `${q()} holds a backslash, a folder separator on Windows`;
  if (rel.startsWith('/')) return `${q()} is absolute`;
  if (/^[A-Za-z]:/u.test(rel)) return `${q()} starts with a drive letter`;
  const bytes = utf8Bytes(rel);
  if (bytes > MAX_PATH_BYTES) return `${q()} is ${bytes} bytes long, longer than the ${MAX_PATH_BYTES} bytes a path may have`;
  for (const part of rel.split('/')) {
    const p = nameProblem(part, allowReserved);
    if (p) return `${q()} ${p}`;
  }
  return null;
}

/** The reserved folder (`.git`, `.weightline`, `.hg`, in any spelling) a relative path goes through, or null. */
export function reservedPath(rel: string): string | null {
  for (const part of rel.split('/')) {
    const r = reservedName(part);
    if (r) return r;
  }
  return null;
}

/** Whether a manifest's source path lies outside the store root (absolute on this or another platform). */
export function isOutsideSource(sourcePath: string): boolean {
  return path.isAbsolute(sourcePath) || path.posix.isAbsolute(sourcePath) || path.win32.isAbsolute(sourcePath);
}

/** A path with every name folded (foldName); whole-path lowercase when no name has anything else to fold. */
function foldPath(p: string): string {
  return NON_ASCII.test(p) || /[:]|[. ](?:\/|$)/u.test(p) ? p.split('/').map(foldName).join('/') : p.toLowerCase();
}

/** The part of a manifest the gate reads. */
export interface ManifestPaths {
  readonly source: { readonly path: string; readonly kind: 'file' | 'folder' };
  readonly files: ReadonlyArray<{ readonly path: string; readonly delta?: { readonly basePath: string | null } | null }>;
  readonly removedFiles: readonly string[];
}

/**
 * Why a manifest's paths are unsafe, or null. Every file path passes
 * pathProblem; a single-file commit names one file without folders; no path
 * is there twice, and none is a file and (as another file's folder) a folder
 * at once, also as case-insensitive file systems read names. The source path
 * is checked by the same rules when relative; an absolute one (commits of
 * older versions recorded them, see Store.resolveSource) is only a restore
 * target under restore's own rule.
 */
export function manifestPathProblem(m: ManifestPaths, origin: ManifestOrigin = 'remote'): string | null {
  const stored = origin === 'stored';
  const src = m.source.path;
  if (isOutsideSource(src)) {
    if (LONE_SURROGATE.test(src) || FORBIDDEN_CHAR.test(src)) return `source.path ${quote(src)} holds a control character or broken Unicode`;
  } else if (src === '.') {
    if (m.source.kind === 'file') return 'source.path is "." (the store\'s folder) for a single-file commit';
  } else {
    const p = pathProblem(src);
    if (p) return `source.path ${p}`;
  }
  if (m.source.kind === 'file' && m.files.length !== 1) return `a single-file commit lists ${m.files.length} files`;
  const exact = new Set<string>();
  const folded = new Set<string>();
  const keys: string[] = [];
  for (let i = 0; i < m.files.length; i++) {
    const f = m.files[i]!.path;
    const p = pathProblem(f, stored);
    if (p) return `files[${i}].path ${p}`;
    if (m.source.kind === 'file' && f.includes('/')) return `the file name ${quote(f)} of a single-file commit names a folder`;
    if (exact.has(f)) return `files[${i}].path ${quote(f)} is listed twice`;
    exact.add(f);
    // Case folding only for what may arrive from elsewhere: a stored commit of Linux's `A` and `a/b` is two real files.
    keys.push(stored ? f : foldPath(f));
    folded.add(keys[i]!);
    const base = m.files[i]!.delta?.basePath;
    if (base != null) {
      const b = pathProblem(base, stored);
      if (b) return `files[${i}].delta.basePath ${b}`;
    }
  }
  // A file that is also a folder: `a` and `a/b`. Checked on folded names
  // too, since on a case-insensitive disk `A` and `a/b` collide the same way.
  for (let i = 0; i < m.files.length; i++) {
    const f = m.files[i]!.path;
    const key = keys[i]!;
    for (let at = key.indexOf('/'); at >= 0; at = key.indexOf('/', at + 1)) {
      if (folded.has(key.slice(0, at))) {
        const clash = m.files[keys.indexOf(key.slice(0, at))]!.path;
        return `files[${i}].path ${quote(f)} puts a file inside ${quote(clash)}, which the same commit lists as a file`;
      }
    }
  }
  for (let i = 0; i < m.removedFiles.length; i++) {
    const p = pathProblem(m.removedFiles[i]!, stored);
    if (p) return `removedFiles[${i}] ${p}`;
  }
  return null;
}

/**
 * rel joined under root, or UNSAFE_PATH when rel breaks a path rule: what
 * restore writes through, so no manifest path lands outside its target or in
 * a reserved folder, whatever read it.
 */
export function safeJoin(root: string, rel: string): string {
  const p = pathProblem(rel);
  if (p) throw new WeightlineError('UNSAFE_PATH', `refusing the manifest path ${p}; Weightline never records such a path, so the commit was forged or written by another program`);
  return path.join(root, ...rel.split('/'));
}
