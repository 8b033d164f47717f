import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, GetObjectCommand, type GetObjectCommandOutput, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { WeightlineError } from '../../../src-shared/errors';
import { clause } from '../../../src-shared/printable';
import { fsyncFile, mapFsError, readExactly } from '../base/fsutil';
import type { Store } from '../store/store';
import { runBounded } from './pool';
import { getRemote, type RemoteConfig } from './remote-files';
import { limitText, MANIFEST_LIMIT } from './limits';
import { checkEndpoint, keys, parseRemoteUrl, redactEndpoint, remoteUrl, type RemoteLocation } from './url';

// One remote as the verbs use it: an S3 client set up for S3-compatible
// servers (../shared/S3-TESTING.md), the keys of docs/STORE-FORMAT.md
// ("Remotes"), and every transfer streamed and checked by our own sha256
// (never the ETag: radosgw answers a multipart upload with an empty one).

// The SDK warns on Node 20 that versions published after January 2027 need
// Node 22; the version package.json pins runs on 20, so the warning is noise
// on every command's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Objects up to this size go as one PutObject read into memory (with Content-MD5, so the server checks what it got). */
export const PART_SIZE = 16 * 1024 * 1024;
/** Parts in flight for one multipart upload: memory is PART_SIZE × this. */
export const PART_QUEUE = 4;
/** Objects larger than this download as ranged GETs of this size, RANGES_IN_FLIGHT at once (bench/RESULTS-remote.md). */
export const RANGE_SIZE = 8 * 1024 * 1024;
export const RANGES_IN_FLIGHT = 4;
/** A download's bytes go to disk in writes of about this size (one writev of the network's chunks), not one write per chunk. */
const WRITE_BATCH = 1024 * 1024;

/** File-system errors of this machine while writing a download: reported as such (DISK_FULL, PERMISSION), never as the remote's. */
const LOCAL_FS_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO']);

export interface ConnectOptions {
  /** Overrides the remote's endpoint and the environment's (`--endpoint`). */
  readonly endpoint?: string;
  readonly region?: string;
  /** Extra client settings (tests: credentials, retries). */
  readonly client?: Partial<S3ClientConfig>;
}

export class Remote {
  readonly loc: RemoteLocation;
  readonly endpoint: string | null;
  readonly client: S3Client;

  constructor(readonly name: string, readonly url: string, config: Pick<RemoteConfig, 'endpoint' | 'region'>, opts: ConnectOptions = {}) {
    this.loc = parseRemoteUrl(url);
    // Without user info (an old remotes.json may hold some): shown in every message, and credentials come from the AWS chain only.
    if (opts.endpoint !== undefined) checkEndpoint(opts.endpoint);
    const endpoint = opts.endpoint ?? config.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? null;
    this.endpoint = endpoint === null ? null : redactEndpoint(endpoint);
    const region = opts.region ?? config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    this.client = new S3Client({
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      // Unset: the SDK looks in the shared config (AWS_PROFILE); S3-compatible servers mostly ignore it.
      ...(region ? { region } : {}),
      // Path-style works on every S3-compatible server; AWS S3 still accepts it.
      forcePathStyle: true,
      // The default checksums turn a streamed PutObject into aws-chunked with a
      // trailer, which radosgw (and other S3 look-alikes) refuse with 411.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 4,
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
      ...opts.client,
    });
  }

  /** A configured remote of the store. */
  static async open(store: Store, name: string, opts: ConnectOptions = {}): Promise<Remote> {
    const config = await getRemote(store, name);
    return new Remote(name, config.url, config, opts);
  }

  /** "origin (s3://bucket/prefix at http://127.0.0.1:7480)": how messages name the remote. */
  describe(): string {
    return `${this.name} (${remoteUrl(this.loc)}${this.endpoint ? ` at ${this.endpoint}` : ''})`;
  }

  /** Every key under prefix, without the prefix, with its size: one listing (paged by the server). */
  async list(prefix: string, signal?: AbortSignal): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal });
      } catch (e) {
        throw this.error(e, prefix, signal);
      }
      for (const o of res.Contents ?? []) if (o.Key) out.set(o.Key.slice(prefix.length), o.Size ?? 0);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /**
   * Aborts the incomplete multipart uploads under prefix whose key `which`
   * accepts; returns how many. Best effort: a refused listing or abort is
   * skipped (a CANCELLED signal is not).
   */
  async abortUploads(prefix: string, which: (key: string) => boolean, signal?: AbortSignal): Promise<number> {
    let n = 0;
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    try {
      do {
        const res = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.loc.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }), { abortSignal: signal });
        for (const u of res.Uploads ?? []) {
          if (!u.Key || !u.UploadId || !which(u.Key)) continue;
          try {
            await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key: u.Key, UploadId: u.UploadId }), { abortSignal: signal });
            n++;
          } catch (e) {
            if (signal?.aborted) throw e;
          }
        }
        [keyMarker, idMarker] = res.IsTruncated ? [res.NextKeyMarker, res.NextUploadIdMarker] : [undefined, undefined];
      } while (keyMarker);
    } catch (e) {
      if (signal?.aborted) throw this.error(e, prefix, signal);
    }
    return n;
  }

  /** Size of a key, or null when the remote does not hold it. */
  async head(key: string, signal?: AbortSignal): Promise<number | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: key }), { abortSignal: signal });
      return res.ContentLength ?? 0;
    } catch (e) {
      if (status(e) === 404) return null;
      throw this.error(e, key, signal);
    }
  }

  /**
   * A small key's bytes (manifests, the marker); null when missing. At most
   * `limit` bytes are accepted: the GET asks for limit + 1 bytes only (a
   * Range), and a key holding more is refused (REMOTE_CORRUPT naming the key
   * and the limit) before anything else reads it. Callers check the listed
   * size first; this catches a listing that lied.
   */
  async getBytes(key: string, limit: number, signal?: AbortSignal): Promise<Buffer | null> {
    let res: GetObjectCommandOutput;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key, Range: `bytes=0-${limit}` }), { abortSignal: signal });
    } catch (e) {
      // An empty key: every range starts beyond its end.
      if (status(e) === 416) return Buffer.alloc(0);
      if (status(e) === 404 && errName(e) !== 'NoSuchBucket') return null;
      throw this.error(e, key, signal);
    }
    const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
    if (total !== undefined && Number(total) > limit) { (res.Body as Readable | undefined)?.destroy(); throw this.oversized(key, `${total} bytes`, limit); }
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of res.Body as Readable) {
        n += (chunk as Buffer).length;
        // Leaving the loop destroys the stream: nothing past the limit is read.
        if (n > limit) throw this.oversized(key, `more than ${limit} bytes`, limit);
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      throw this.error(e, key, signal);
    }
    return Buffer.concat(chunks, n);
  }

  /**
   * A manifest key's bytes, refused unread when its listed size is over
   * MANIFEST_LIMIT and cut at the limit when the listing lied; null when missing.
   */
  async getManifest(key: string, listedBytes: number, signal?: AbortSignal): Promise<Buffer | null> {
    if (listedBytes > MANIFEST_LIMIT) throw this.oversized(key, `${listedBytes} bytes`, MANIFEST_LIMIT);
    return this.getBytes(key, MANIFEST_LIMIT, signal);
  }

  /** The error for a key larger than Weightline reads of its kind (limits.ts). */
  oversized(key: string, found: string, limit: number): WeightlineError {
    return new WeightlineError('REMOTE_CORRUPT', `the remote ${this.describe()} holds ${key} with ${found}, more than the ${limitText(limit)} Weightline reads for a key of its kind (docs/STORE-FORMAT.md, "Remote limits"); it was not read and nothing was written locally. No Weightline pushes such a key: delete it on the remote`);
  }

  /**
   * Writes bytes under a key that must not exist yet (If-None-Match: *, with
   * Content-MD5 so the server checks what arrived). 'exists' when the key was
   * there already: keys are content-addressed, so what is there is the same
   * bytes or a damaged copy, which `verify --remote` reports.
   */
  async putNew(key: string, body: Buffer, signal?: AbortSignal): Promise<'uploaded' | 'exists'> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.loc.bucket, Key: key, Body: body, ContentLength: body.length,
        ContentMD5: createHash('md5').update(body).digest('base64'), IfNoneMatch: '*',
      }), { abortSignal: signal });
      return 'uploaded';
    } catch (e) {
      if (status(e) === 412) return 'exists';
      throw this.error(e, key, signal);
    }
  }

  /**
   * Uploads the file named sha (an object of the store, or a rebuilt copy of
   * one) under key, streaming: never more than PART_SIZE × PART_QUEUE bytes in
   * memory. The bytes are hashed as they are read for sending; if they do not
   * hash to sha, the upload is abandoned before it completes, so the remote
   * never shows a key whose bytes are not its name.
   */
  async uploadFile(key: string, file: string, sha: string, size: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<'uploaded' | 'exists'> {
    let handle: fs.FileHandle;
    try { handle = await fs.open(file, 'r'); } catch (e) { throw mapFsError(e, file); }
    const damagedLocal = (got: string): WeightlineError => new WeightlineError('CORRUPT', `this store's object ${sha.slice(0, 12)} does not hash to its name (read ${got}); nothing was uploaded under ${key}; run "weightline repair"`, file);
    try {
      const actualSize = (await handle.stat()).size;
      if (actualSize !== size) throw damagedLocal(`${actualSize} bytes, expected ${size}`);
      if (size <= PART_SIZE) {
        const body = await readExactly(handle, 0, size, file);
        const got = createHash('sha256').update(body).digest('hex');
        if (got !== sha) throw damagedLocal(`sha256 ${got.slice(0, 12)}`);
        const r = await this.putNew(key, body, signal);
        onBytes(size);
        return r;
      }
      // A multipart upload cannot say If-None-Match everywhere (radosgw 16 ignores it on completion): ask first.
      if ((await this.head(key, signal)) !== null) { onBytes(size); return 'exists'; }
      const hash = createHash('sha256');
      let read = 0;
      const check = new Transform({
        transform(chunk: Buffer, _enc, cb) { hash.update(chunk); read += chunk.length; cb(null, chunk); },
        // Runs before the uploader sees the end of the body, so before it completes the upload.
        flush(cb) {
          const got = read === size ? hash.digest('hex') : `${read} bytes`;
          cb(got === sha ? null : damagedLocal(got));
        },
      });
      const source = handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false });
      source.on('error', (e) => check.destroy(e));
      const body = source.pipe(check);
      const partSize = Math.max(PART_SIZE, Math.ceil(size / 9000));
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.loc.bucket, Key: key, Body: body, ContentLength: size },
        partSize, queueSize: PART_QUEUE, leavePartsOnError: false,
      });
      let sent = 0;
      upload.on('httpUploadProgress', (p) => { const n = p.loaded ?? 0; if (n > sent) { onBytes(n - sent); sent = n; } });
      const onAbort = (): void => { void upload.abort().catch(() => undefined); };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } catch (e) {
        if (e instanceof WeightlineError) throw e;
        if (status(e) === 412) return 'exists';
        // Another push aborted this upload because the key was written meanwhile (push.ts): then it is there.
        if (errName(e) === 'NoSuchUpload' && !signal?.aborted && (await this.head(key, signal).catch(() => null)) === size) return 'exists';
        throw this.error(e, key, signal);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        source.destroy();
      }
      if (sent < size) onBytes(size - sent);
      return 'uploaded';
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Downloads object sha into the store: written into a temp file, hashed on
   * the way, and renamed into objects/ only when it hashes to its name.
   * REMOTE_CORRUPT (naming the remote and the key) when it does not.
   *
   * An object larger than RANGE_SIZE (its size known from the listing) comes
   * as RANGES_IN_FLIGHT ranged GETs at once, each streamed into the temp file
   * at its offset: one S3 stream is the limit otherwise (measured on radosgw:
   * ~130-160 MB/s for one GET, ~200 MB/s for 4 ranges of 8 MiB). Memory stays
   * a few network chunks per range whatever the size. The sha256 runs in
   * order: bytes that arrive at the hash's position are hashed as they come,
   * the others are read back from the file (the page cache) when the bytes
   * before them are in.
   *
   * `size` is what the manifest says the object weighs (the caller has
   * checked the listing agrees): no more than size + 1 bytes are ever read,
   * so a huge key under a small object's name costs one byte past its
   * expected end, not its whole length.
   */
  async downloadObject(store: Store, sha: string, onBytes: (n: number) => void, signal: AbortSignal | undefined, size: number): Promise<number> {
    const key = keys.object(this.loc, sha);
    const tmp = store.tempPath('fetch');
    let got = 0;
    const counted = (n: number): void => { got += n; onBytes(n); };
    try {
      const actual = size > RANGE_SIZE
        ? await this.getRanged(key, tmp, size, counted, signal)
        : await this.getWhole(key, tmp, size, counted, signal);
      if (actual !== sha) throw this.damaged(key, `${got} bytes that hash to ${actual}`);
      await fsyncFile(tmp);
      await store.adoptObject(tmp, sha);
      return got;
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      onBytes(-got);
      // A full disk (or a read-only one) is this machine's problem, not the remote's.
      if (LOCAL_FS_ERRORS.has((e as NodeJS.ErrnoException)?.code ?? '') && !signal?.aborted) throw mapFsError(e, store.dir);
      throw this.error(e, key, signal);
    }
  }

  private async getObject(key: string, range: string | undefined, signal?: AbortSignal): Promise<GetObjectCommandOutput> {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key, ...(range ? { Range: range } : {}) }), { abortSignal: signal });
    } catch (e) {
      if (status(e) === 404 && errName(e) !== 'NoSuchBucket') {
        throw new WeightlineError('REMOTE_NOT_FOUND', `the remote ${this.describe()} does not hold ${key}, which its manifests need; push it again from a store that has it ("weightline verify --remote ${this.name}" lists what is missing)`);
      }
      if (status(e) === 416) throw this.damaged(key, `fewer bytes than its listing said (${range ?? ''} is beyond its end)`);
      throw e;
    }
  }

  /** One GET of at most size + 1 bytes streamed into file; returns the sha256 of what arrived, or why it is wrong. */
  private async getWhole(key: string, file: string, size: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
    // An empty object has no byte 0 to ask for (416): that one is counted instead.
    const res = await this.getObject(key, size > 0 ? `bytes=0-${size}` : undefined, signal);
    const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
    if (total !== undefined && Number(total) !== size) { (res.Body as Readable | undefined)?.destroy(); throw this.damaged(key, `${total} bytes where its manifest says ${size}`); }
    const hash = createHash('sha256');
    let n = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        n += chunk.length;
        if (n > size) { cb(this.damaged(key, `more than the ${size} bytes its manifest says`)); return; }
        hash.update(chunk); onBytes(chunk.length); cb(null, chunk);
      },
    });
    await pipeline(res.Body as Readable, counter, createWriteStream(file, { mode: 0o644 }), ...(signal ? [{ signal }] : []));
    return n === size ? hash.digest('hex') : `${n} bytes where its manifest says ${size}`;
  }

  /**
   * Ranged GETs in parallel, each written at its offset; returns the sha256
   * of the file's first `size` bytes. Every byte is hashed from memory as it
   * arrives, never read back from the file: a range ahead of the hash keeps
   * its chunks until the ranges before it are in. A range starts only within
   * RANGES_IN_FLIGHT ranges of the hash's, so at most that many ranges'
   * bytes (RANGE_SIZE each) wait in memory, whatever the object's size.
   */
  private async getRanged(key: string, file: string, size: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<string> {
    const handle = await fs.open(file, 'w', 0o644);
    const hash = createHash('sha256');
    const ranges = Array.from({ length: Math.ceil(size / RANGE_SIZE) }, (_, i) => ({ start: i * RANGE_SIZE, end: Math.min(size, (i + 1) * RANGE_SIZE), written: 0, done: false, waiting: [] as Buffer[] }));
    // The range the hash is in: its chunks are hashed on arrival; those of later ranges wait in `waiting`.
    let hashing = 0;
    let hashed = 0;
    // Ranges waiting for the hash to come within RANGES_IN_FLIGHT of them; woken when it moves (or a range fails).
    let wake: Array<() => void> = [];
    let stopped = false;
    const wakeAll = (): void => { const w = wake; wake = []; for (const f of w) f(); };
    const advance = (): void => {
      while (hashing < ranges.length && ranges[hashing]!.done) {
        hashing++;
        const r = ranges[hashing];
        if (r) { for (const b of r.waiting) { hash.update(b); hashed += b.length; } r.waiting = []; }
      }
      wakeAll();
    };
    const fetchRange = async (i: number): Promise<void> => {
      while (i >= hashing + RANGES_IN_FLIGHT && !stopped) await new Promise<void>((resolve) => wake.push(resolve));
      if (stopped) return;
      const r = ranges[i]!;
      const res = await this.getObject(key, `bytes=${r.start}-${r.end - 1}`, signal);
      const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
      if (total !== undefined && Number(total) !== size) { (res.Body as Readable | undefined)?.destroy(); throw this.damaged(key, `${total} bytes where its listing said ${size}`); }
      // Network chunks are small (16-64 KiB): written in batches of WRITE_BATCH with one writev each.
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const flush = async (): Promise<void> => {
        const at = r.start + r.written;
        let w = 0;
        while (w < batchBytes) w += (await handle.writev(w === 0 ? batch : [Buffer.concat(batch).subarray(w)], at + w)).bytesWritten;
        r.written += batchBytes;
        onBytes(batchBytes);
        batch = [];
        batchBytes = 0;
      };
      for await (const chunk of res.Body as Readable) {
        const buf = chunk as Buffer;
        if (r.start + r.written + batchBytes + buf.length > r.end) throw this.damaged(key, `more bytes than the range ${r.start}-${r.end - 1} asked for`);
        if (i === hashing) { hash.update(buf); hashed += buf.length; } else r.waiting.push(buf);
        batch.push(buf);
        batchBytes += buf.length;
        if (batchBytes >= WRITE_BATCH) await flush();
      }
      if (batchBytes > 0) await flush();
      if (r.start + r.written !== r.end) throw this.damaged(key, `${r.written} bytes for the range ${r.start}-${r.end - 1}`);
      r.done = true;
      advance();
    };
    try {
      await runBounded(ranges.map((_, i) => ({ weight: 1, run: () => fetchRange(i).catch((e: unknown) => { stopped = true; wakeAll(); throw e; }) })), RANGES_IN_FLIGHT, signal);
      return hashed === size ? hash.digest('hex') : `${hashed} bytes hashed`;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** The error for a remote key whose bytes are not its name. */
  damaged(key: string, found: string): WeightlineError {
    return new WeightlineError('REMOTE_CORRUPT', `the remote ${this.describe()} holds a damaged ${key}: expected bytes that hash to its name, found ${found}; nothing was written locally. Delete that key on the remote and push again from a store that has it ("weightline verify --remote ${this.name}" lists every damaged key)`);
  }

  /** An SDK or network error in plain words with a code, naming the remote (and the key). */
  error(e: unknown, key: string | undefined, signal?: AbortSignal): unknown {
    if (e instanceof WeightlineError) return e;
    if (signal?.aborted) return signal.reason instanceof WeightlineError ? signal.reason : new WeightlineError('CANCELLED', 'cancelled');
    const name = errName(e);
    const code = (e as NodeJS.ErrnoException)?.code ?? '';
    const st = status(e);
    const where = `the remote ${this.describe()}`;
    const what = key ? ` (${key})` : '';
    const message = e instanceof Error ? e.message : String(e);
    if (name === 'AbortError') return new WeightlineError('CANCELLED', 'cancelled');
    if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
      return new WeightlineError('REMOTE_AUTH', `no AWS credentials found for ${where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in ~/.aws/credentials`);
    }
    if (name === 'RequestTimeTooSkewed') {
      return new WeightlineError('CLOCK_SKEW', `${where} refused the request because this machine's clock differs too much from the server's (RequestTimeTooSkewed); set the clock right (e.g. enable NTP) and run the command again`);
    }
    if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed'].includes(name) || st === 403) {
      return new WeightlineError('REMOTE_AUTH', `${where} refused the credentials${what}: ${name || `HTTP ${st}`}; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE) and that they may use bucket ${this.loc.bucket}`);
    }
    if (name === 'NoSuchBucket') {
      return new WeightlineError('REMOTE_NOT_FOUND', `the bucket "${this.loc.bucket}" does not exist at ${this.endpoint ?? 'AWS S3'} (remote ${this.name}); create it (e.g. \`aws s3 mb s3://${this.loc.bucket}\`) or fix the remote's URL`);
    }
    if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|ECONNABORTED|ERR_STREAM_PREMATURE_CLOSE)$/.test(code)
      || name === 'TimeoutError' || /socket hang up|aborted|ECONNRESET|ECONNREFUSED|premature close/i.test(message)) {
      return new WeightlineError('REMOTE_UNREACHABLE', `${where} cannot be reached or stopped answering${what}: ${code || name || 'network error'} (${oneLine(message)}); check the endpoint and that the server runs, then run the command again (it resumes where it stopped)`);
    }
    if (/Region is missing/.test(message)) {
      // A setting that is missing, not a wrong command line: a failed operation (exit 1), not bad usage (exit 2).
      return new WeightlineError('NOT_FOUND', `no region for ${where}: set AWS_REGION, or give the remote one (\`weightline remote add ... --region R\`)`);
    }
    return new WeightlineError('REMOTE_ERROR', `${where} answered${what}: ${name || 'error'}${st ? ` (HTTP ${st})` : ''}: ${oneLine(message)}`);
  }
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function errName(e: unknown): string {
  const x = e as { name?: string; Code?: string };
  return x?.Code ?? (x?.name && x.name !== 'Error' && x.name !== 'Unknown' ? x.name : '');
}

function oneLine(s: string): string {
  // The SDK's messages end in a full stop; ours go on after them ("...; run X").
  return clause(s.replace(/\s*\n\s*/g, ' ').slice(0, 200));
}
