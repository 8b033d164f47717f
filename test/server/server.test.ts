// Browser mode's doors: loopback binding, the launch token, Host and Origin
// checks (DNS rebinding, other local pages), no CORS, JSON-only API, the
// static renderer with its security headers, and the event WebSocket.
import * as fs from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ApiService } from '../../src-main/app/api-service';
import { startServer, type RunningServer } from '../../src-main/server/server';
import { useScratch } from '../helpers/models';

const scratch = useScratch();

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

let srv: RunningServer;
let service: ApiService;
let rendererDir: string;
let host: string;

function send(opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${srv.token}` });
const call = (name: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  send({ method: 'POST', path: `/api/call/${name}`, headers: { 'Content-Type': 'application/json', ...auth(), ...headers }, body: JSON.stringify(body) });

function expectNoCors(r: Reply): void {
  for (const h of Object.keys(r.headers)) expect(h).not.toMatch(/^access-control-/);
}

beforeAll(async () => {
  rendererDir = await fs.mkdtemp(path.join((await import('node:os')).tmpdir(), 'wl-renderer-'));
  await fs.mkdir(path.join(rendererDir, 'assets'));
  await fs.writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Weightline</title><script type="module" src="./assets/app.js"></script>');
  await fs.writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  service = new ApiService({ configDir: rendererDir, pollMs: 200 });
  srv = await startServer({ service, port: 0, rendererDir });
  host = `127.0.0.1:${srv.port}`;
});
afterAll(async () => {
  await srv.close();
  await service.dispose();
  await fs.rm(rendererDir, { recursive: true, force: true });
});

describe('binding and URL', () => {
  it('listens on 127.0.0.1 only, and prints a URL with a long random token', () => {
    expect((srv.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${srv.token}`);
    expect(srv.token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
  });

  it('a second server gets a different token', async () => {
    const other = await startServer({ service, port: 0, rendererDir });
    try { expect(other.token).not.toBe(srv.token); } finally { await other.close(); }
  });
});

describe('the token', () => {
  it('refuses every request without it (page, assets, API, events) with 401', async () => {
    for (const r of [await send({}), await send({ path: '/assets/app.js' }), await call('store.current', {}, { Authorization: '' })]) {
      expect(r.status).toBe(401);
      expect(r.body).toMatch(/needs its token/);
    }
    expect((await call('store.current', {}, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await send({ path: '/?token=wrong' })).status).toBe(401);
  });

  it('the printed URL sets an HttpOnly SameSite=Strict cookie and redirects to the bare page; the cookie then works', async () => {
    const first = await send({ path: `/?token=${srv.token}` });
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/');
    const cookie = first.headers['set-cookie']![0]!;
    expect(cookie).toMatch(new RegExp(`^weightline_token_${srv.port}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    const page = await send({ headers: { Cookie: pair } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Weightline</title>');
    expect((await call('store.current', {}, { Authorization: '', Cookie: pair })).status).toBe(200);
  });

  it('Authorization: Bearer works for scripts', async () => {
    const r = await call('store.current', {});
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true, value: null });
  });
});

describe('Host and Origin (DNS rebinding, other local pages)', () => {
  it('accepts the loopback names on our port', async () => {
    for (const h of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `[::1]:${srv.port}`, `LOCALHOST:${srv.port}`]) {
      expect((await call('store.current', {}, { Host: h })).status, h).toBe(200);
    }
  });

  it('refuses any other Host with 403, even with the token', async () => {
    for (const h of ['evil.example', `evil.example:${srv.port}`, '127.0.0.1', `127.0.0.1:${srv.port + 1}`, `192.168.1.5:${srv.port}`, `localhost.evil.example:${srv.port}`]) {
      const r = await call('store.current', {}, { Host: h });
      expect(r.status, h).toBe(403);
      expect(r.body).toMatch(/expected Host 127\.0\.0\.1, localhost or \[::1\] with port/);
    }
  });

  it('refuses an Origin other than our own loopback origin with 403', async () => {
    expect((await call('store.current', {}, { Origin: `http://${host}` })).status).toBe(200);
    for (const o of ['http://evil.example', `http://localhost:${srv.port + 1}`, 'null', `https://${host}`, `http://localhost:${srv.port}`]) {
      const r = await call('store.current', {}, { Origin: o });
      expect(r.status, o).toBe(403);
      expect(r.body).toMatch(/expected Origin/);
    }
  });

  it('an SSH tunnel port can be allowed explicitly', async () => {
    const tunneled = await startServer({ service, port: 0, rendererDir, forwardedPort: 9999 });
    try {
      const r = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: tunneled.port, method: 'POST', path: '/api/call/store.current', headers: { Host: 'localhost:9999', Origin: 'http://localhost:9999', 'Content-Type': 'application/json', Authorization: `Bearer ${tunneled.token}` } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end('{}');
      });
      expect(r).toBe(200);
    } finally { await tunneled.close(); }
  });
});

describe('no CORS, JSON only', () => {
  it('never sends Access-Control-* headers, not even to a preflight', async () => {
    expectNoCors(await call('store.current', {}));
    expectNoCors(await send({ headers: auth() }));
    const preflight = await send({ method: 'OPTIONS', path: '/api/call/store.current', headers: { ...auth(), Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(403);
    expectNoCors(preflight);
    const sameOrigin = await send({ method: 'OPTIONS', path: '/api/call/store.current', headers: auth() });
    expect(sameOrigin.status).toBe(405);
    expectNoCors(sameOrigin);
  });

  it('refuses a non-JSON body type (a cross-site "simple request") with 415, and bad JSON as BAD_USAGE', async () => {
    expect((await call('store.current', {}, { 'Content-Type': 'text/plain' })).status).toBe(415);
    const bad = await send({ method: 'POST', path: '/api/call/store.open', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(200);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'BAD_USAGE', message: expect.stringMatching(/store\.open: expected a JSON object as the body, got invalid JSON/) } });
    expect((await send({ path: '/api/call/store.current', headers: auth() })).status).toBe(405);
    expect((await send({ path: '/api/other', headers: auth() })).status).toBe(404);
  });
});

describe('malformed call names (issue 18)', () => {
  it('a bad percent-escape in a call name (POST /api/call/%E0%A4%A) is 400 with a JSON error, not 500', async () => {
    for (const name of ['%E0%A4%A', '%', '%zz', 'store.current%FF']) {
      const r = await call(name, {});
      expect(r.status, name).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'BAD_USAGE', message: expect.stringMatching(/malformed percent-escape/) } });
    }
    // The server still answers afterwards.
    expect((await call('store.current', {})).status).toBe(200);
  });
});

describe('static renderer', () => {
  it('serves the page with the CSP, no framing, no referrer; assets; SPA paths; never outside its folder', async () => {
    const page = await send({ headers: auth() });
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'; .*connect-src 'self'.*frame-ancestors 'none'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    const asset = await send({ path: '/assets/app.js', headers: auth() });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/text\/javascript/);
    expect((await send({ path: '/history/abc', headers: auth() })).body).toContain('<title>Weightline</title>');
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json', '/missing.js']) {
      const r = await send({ path: p, headers: auth() });
      expect(r.body, p).not.toMatch(/root:|"name"/);
      expect([404, 200]).toContain(r.status);
      if (r.status === 200) expect(r.body).toContain('<title>Weightline</title>');
    }
  });
});

describe('events over WebSocket', () => {
  const open = (headers: Record<string, string>, query = ''): Promise<{ ws: WebSocket; status: number | null }> => new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events${query}`, { headers });
    ws.on('open', () => resolve({ ws, status: null }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ ws, status: -1 }));
  });

  it('refuses an upgrade without the token, or from another Origin', async () => {
    expect((await open({})).status).toBe(401);
    expect((await open({ Origin: 'http://evil.example' }, `?token=${srv.token}`)).status).toBe(403);
    expect((await open({ Host: 'evil.example' }, `?token=${srv.token}`)).status).toBe(403);
  });

  it('delivers storeChanged and job events', async () => {
    const { ws, status } = await open({ Origin: `http://${host}` }, `?token=${srv.token}`);
    expect(status).toBeNull();
    const got: Array<{ event: string; payload: { root?: string; state?: string } }> = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as (typeof got)[number]));
    const root = scratch();
    await call('store.create', { path: root });
    const started = JSON.parse((await call('jobs.start', { kind: 'verify' })).body) as { value: { jobId: string } };
    const deadline = Date.now() + 20_000;
    while (!got.some((m) => m.event === 'job' && m.payload.state === 'done') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    ws.close();
    expect(got).toContainEqual({ event: 'storeChanged', payload: { root } });
    expect(got.filter((m) => m.event === 'job').map((m) => m.payload.state)).toEqual(expect.arrayContaining(['running', 'done']));
    expect(got.find((m) => m.event === 'job')!.payload).toMatchObject({ jobId: started.value.jobId, kind: 'verify' });
  });
});
