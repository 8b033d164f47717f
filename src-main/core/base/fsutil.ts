import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';

// Every file the store writes goes temp → fsync → rename → fsync(dir), so a
// crash leaves either the old file or the new one, never a torn one.

export const TMP_PREFIX = '.tmp-';

export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${TMP_PREFIX}${tempStem(path.basename(target))}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * The target's name, cut so the temp name stays within the 255 bytes a file
 * name may have: a file whose own name is near that limit (the path rules
 * allow 255) must still restore through its temp file.
 */
function tempStem(name: string): string {
  if (Buffer.byteLength(name) <= 160) return name;
  let cut = '';
  for (const ch of name) {
    if (Buffer.byteLength(cut + ch) > 160) break;
    cut += ch;
  }
  return cut;
}

/** Flushes a file written through another descriptor (fsync applies to the file, not the descriptor). */
export async function fsyncFile(file: string): Promise<void> {
  const h = await fs.open(file, 'r+');
  try { await h.sync(); } finally { await h.close(); }
}

export async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try { await h.sync(); } finally { await h.close(); }
}

// Messages say what the file system refused, never what the caller's
// operation left behind: only the operation knows that (a commit that fails
// after its commit point has changed the store), so it adds that itself.
/** An fs error as a WeightlineError naming file; WeightlineErrors and non-fs errors pass through. */
export function mapFsError(e: unknown, file: string): unknown {
  if (e instanceof WeightlineError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOSPC': return new WeightlineError('DISK_FULL', 'the disk is full (ENOSPC); free some space ("weightline cleanup" drops full parameters that deltas can rebuild)', file);
    case 'EDQUOT': return new WeightlineError('DISK_FULL', 'the disk quota is exhausted (EDQUOT); free some space ("weightline cleanup" drops full parameters that deltas can rebuild)', file);
    case 'EROFS': return new WeightlineError('PERMISSION', 'the file system is read-only (EROFS): reading commands work, this one needs to write; remount it read-write or restore --to another disk', file);
    case 'EACCES':
    case 'EPERM': return new WeightlineError('PERMISSION', `permission denied (${code}); check the owner and mode of this path and of its folder`, file);
    case 'ENOENT': return new WeightlineError('NOT_FOUND', 'no such file or folder', file);
    // Inside the store, a folder where a file belongs (or the reverse) is damage, not a bug, and must say so; a write
    // (a cache, a remote cache, quarantine) meets it here, past the reads base/bounded-read.ts checks.
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EEXIST': {
      // The path the system call names is the odd one (mkdir of quarantine/ that is a file), not the caller's file.
      const at = typeof (e as NodeJS.ErrnoException).path === 'string' ? (e as NodeJS.ErrnoException).path! : file;
      if (!at.split(/[\\/]/).includes('.weightline')) return e;
      if (code === 'EEXIST' && (e as NodeJS.ErrnoException).syscall !== 'mkdir') return e;
      return new WeightlineError('CORRUPT', `${code === 'EISDIR' ? 'a folder where the store keeps a file' : 'a file where the store keeps a folder'} (${code}); move the odd one out of .weightline and run \`weightline repair\``, at);
    }
    default: return e;
  }
}

/**
 * The path to show for a raw fs error caught far from its call: the path the
 * error names, except that a temp file is shown as its folder (a user cannot
 * act on a name that no longer exists).
 */
export function errorPath(e: unknown, fallback: string): string {
  const p = (e as NodeJS.ErrnoException)?.path;
  if (typeof p !== 'string' || p === '') return fallback;
  return path.basename(p).startsWith(TMP_PREFIX) ? path.dirname(p) : p;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  try {
    const h = await fs.open(tmp, 'w', 0o644);
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, target);
    await fsyncDir(path.dirname(target));
  } catch (e) {
    // Never let a failed removal hide why the write failed.
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw mapFsError(e, target);
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    // Two reused buffers taking turns: the next chunk is read while this one
    // is hashed. A stream's fresh 1 MiB chunk per read cost page faults and
    // garbage (an unchanged 443 MB commit, which is all hashing: 0.5 s of sys
    // time against sha256sum's 0.1).
    const bufs = [Buffer.allocUnsafeSlow(1 << 22), Buffer.allocUnsafeSlow(1 << 22)];
    let reading = handle.read(bufs[0]!, 0, 1 << 22, null);
    for (let turn = 0; ; turn++) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) break;
      reading = handle.read(bufs[(turn + 1) % 2]!, 0, 1 << 22, null);
      hash.update(bufs[turn % 2]!.subarray(0, bytesRead));
    }
  } catch (e) {
    throw mapFsError(e, file);
  } finally {
    await handle?.close().catch(() => undefined);
  }
  return hash.digest('hex');
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short checksum stored per delta block: 128 bits of sha256 is ample to catch corruption. */
export function blockChecksum(data: Uint8Array): string {
  return blockChecksumOf([data]);
}

/** blockChecksum of the parts joined, without joining them. */
export function blockChecksumOf(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest('hex').slice(0, 32);
}

export async function exists(p: string): Promise<boolean> {
  try { await fs.access(p); return true; } catch { return false; }
}

/** Reads exactly length bytes at position (into `into` when given, which must hold length bytes), or fails naming the file. */
export async function readExactly(handle: fs.FileHandle, position: number, length: number, file: string, into?: Buffer): Promise<Buffer> {
  const buf = into ?? Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new WeightlineError('CORRUPT', `expected ${length} bytes at offset ${position}, the file ends after ${done}`, file);
    }
    done += bytesRead;
  }
  return buf;
}
