import { WeightlineError } from '../../../src-shared/errors';

// s3://BUCKET[/PREFIX] and the keys under it (docs/STORE-FORMAT.md, "Remotes"):
//   PREFIX/weightline-remote.json   {"format":"weightline-remote","version":1}
//   PREFIX/manifests/<id>           a commit's manifest, the exact bytes of commits/<id>.json
//   PREFIX/objects/<sha256>         an object, the exact bytes of objects/<aa>/<rest>
//   PREFIX/packs/<full>.<packed>    empty: objects/<packed> is the packed form of full object <full>
// Every key is written once and never changed.

export interface RemoteLocation {
  readonly bucket: string;
  /** '' or a prefix ending in '/'. */
  readonly prefix: string;
}

// Bucket names as S3 and its look-alikes accept them (3-63 lower-case letters, digits, dots, hyphens; some allow _ and capitals).
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$/;

export function parseRemoteUrl(url: string): RemoteLocation {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m || !BUCKET.test(m[1]!)) {
    throw new WeightlineError('BAD_USAGE', `expected a remote URL like s3://bucket or s3://bucket/some/prefix, found "${url}"`);
  }
  const parts = (m[2] ?? '').split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..')) throw new WeightlineError('BAD_USAGE', `a remote prefix must not hold "." or ".." parts: "${url}"`);
  return { bucket: m[1]!, prefix: parts.length ? `${parts.join('/')}/` : '' };
}

export function remoteUrl(loc: RemoteLocation): string {
  return `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix.replace(/\/$/, '')}` : ''}`;
}

/**
 * An S3 endpoint as given to `remote add`, `clone` or `--endpoint`: http(s)
 * with a host, and no user info. A key and secret in the URL would be written
 * to remotes.json and shown wherever the endpoint is; credentials come from
 * the AWS chain only.
 */
export function checkEndpoint(endpoint: string): string {
  let u: URL | null = null;
  try { u = new URL(endpoint); } catch { /* refused below */ }
  if (!u || !/^https?:$/.test(u.protocol) || !u.host) {
    throw new WeightlineError('BAD_USAGE', `--endpoint takes a URL like https://s3.example.com or http://127.0.0.1:7480, found "${redactEndpoint(endpoint)}"`);
  }
  if (u.username || u.password) {
    throw new WeightlineError('BAD_USAGE', `refusing an endpoint with credentials in it (${redactEndpoint(endpoint)}): nothing secret is stored in a store. Give the endpoint without them (${redactEndpoint(endpoint)}) and put the key and secret in the AWS chain: the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), ~/.aws/credentials, or a profile named by AWS_PROFILE`);
  }
  return endpoint;
}

/**
 * An endpoint with any user info taken out, for messages, lists and the
 * client (remotes.json written by older versions, which accepted user info, may hold one): the
 * secret is never shown, returned or sent in a URL. Text that is not a URL is
 * cut at its last "@".
 */
export function redactEndpoint(endpoint: string): string {
  let u: URL | null = null;
  try { u = new URL(endpoint); } catch { /* not a URL */ }
  if (!u || !/^https?:$/.test(u.protocol)) return endpoint.includes('@') ? `…@${endpoint.slice(endpoint.lastIndexOf('@') + 1)}` : endpoint;
  if (!u.username && !u.password) return endpoint;
  u.username = '';
  u.password = '';
  // new URL adds a "/" to a bare host: keep the endpoint as it was written.
  const s = u.toString();
  return endpoint.endsWith('/') ? s : s.replace(/\/$/, '');
}

export const MARKER = 'weightline-remote.json';
export const REMOTE_FORMAT_VERSION = 1;

export const keys = {
  marker: (loc: RemoteLocation): string => `${loc.prefix}${MARKER}`,
  manifests: (loc: RemoteLocation): string => `${loc.prefix}manifests/`,
  objects: (loc: RemoteLocation): string => `${loc.prefix}objects/`,
  manifest: (loc: RemoteLocation, id: string): string => `${loc.prefix}manifests/${id}`,
  object: (loc: RemoteLocation, sha: string): string => `${loc.prefix}objects/${sha}`,
  packs: (loc: RemoteLocation): string => `${loc.prefix}packs/`,
  pack: (loc: RemoteLocation, full: string, packed: string): string => `${loc.prefix}packs/${full}.${packed}`,
  routes: (loc: RemoteLocation): string => `${loc.prefix}routes/`,
  /** A route record, named by its commit and the sha256 of its bytes: write-once like every key. */
  route: (loc: RemoteLocation, id: string, sha: string): string => `${loc.prefix}routes/${id}/${sha}`,
};

const ROUTE_KEY = /^([0-9a-f]{64})\/([0-9a-f]{64})$/;

/** The route records a listing of routes/ names (without the prefix): commit → record shas (key order), with their listed sizes. Other names are not ours: ignored. */
export function remoteRoutes(listing: ReadonlyMap<string, number>): Map<string, Array<{ readonly sha: string; readonly bytes: number }>> {
  const out = new Map<string, Array<{ sha: string; bytes: number }>>();
  for (const [k, bytes] of [...listing].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const m = ROUTE_KEY.exec(k);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push({ sha: m[2]!, bytes });
    out.set(m[1]!, list);
  }
  return out;
}

const PACK_KEY = /^([0-9a-f]{64})\.([0-9a-f]{64})$/;

/**
 * The remote's pack index from a listing of packs/ (names without the
 * prefix): full sha256 → packed object, for packs whose packed object the
 * listing of objects/ holds (a pack key is written after its object, but a
 * damaged remote may say otherwise). Other names are not ours: ignored.
 */
export function remotePacks(packKeys: Iterable<string>, objects: { has(sha: string): boolean }): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of packKeys) {
    const m = PACK_KEY.exec(k);
    if (m && objects.has(m[2]!) && !out.has(m[1]!)) out.set(m[1]!, m[2]!);
  }
  return out;
}
