// Who may talk to the browser-mode server. Three checks on every request:
//  - Host must name the loopback interface (127.0.0.1, localhost, [::1]) on
//    our port: a DNS-rebinding page reaches us with its own host name.
//  - Origin, when sent, must be that same loopback origin: another page on
//    this machine (even another port of localhost, which counts as the same
//    *site* for cookies) cannot drive the API.
//  - The launch token: the HttpOnly cookie set when the printed URL is opened,
//    or `Authorization: Bearer <token>` (scripts), or `?token=` (the first page
//    load and WebSocket clients that cannot set headers).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface GuardConfig {
  readonly token: string;
  /** Ports a browser may use to reach us: ours, plus an SSH tunnel's local port if it differs. */
  readonly ports: readonly number[];
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function cookieName(port: number): string {
  // Cookies ignore ports: two servers on one machine need two names.
  return `weightline_token_${port}`;
}

function loopbackHostPort(hostPort: string, ports: readonly number[]): boolean {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hostPort.toLowerCase());
  return !!m && LOOPBACK_NAMES.has(m[1]!) && ports.includes(Number(m[2]));
}

export function checkHostAndOrigin(req: IncomingMessage, cfg: GuardConfig): Verdict {
  const host = req.headers.host ?? '';
  if (!loopbackHostPort(host, cfg.ports)) {
    return { ok: false, status: 403, reason: `refused: expected Host 127.0.0.1, localhost or [::1] with port ${cfg.ports.join(' or ')}, got "${host.slice(0, 100)}"` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok = false;
    try {
      const u = new URL(origin);
      ok = u.protocol === 'http:' && u.host.toLowerCase() === host.toLowerCase();
    } catch { /* "null" and other non-URLs are refused */ }
    if (!ok) return { ok: false, status: 403, reason: `refused: expected Origin http://${host}, got "${origin.slice(0, 100)}"` };
  }
  return { ok: true };
}

export function tokenFrom(req: IncomingMessage, url: URL, port: number): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = parseCookies(req.headers.cookie)[cookieName(port)];
  if (cookie) return cookie;
  return url.searchParams.get('token') ?? undefined;
}

export function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function checkRequest(req: IncomingMessage, url: URL, cfg: GuardConfig, port: number): Verdict {
  const where = checkHostAndOrigin(req, cfg);
  if (!where.ok) return where;
  if (!tokenMatches(tokenFrom(req, url, port), cfg.token)) {
    return { ok: false, status: 401, reason: 'refused: this Weightline server needs its token; open the URL that "weightline serve" printed' };
  }
  return { ok: true };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    try { out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim()); } catch { /* malformed: ignore this cookie */ }
  }
  return out;
}
