// Browser mode: the renderer and the contract over HTTP + WebSocket, for
// stores on a machine reached over SSH (forward the port). Loopback only,
// one random token per launch, loopback Host and Origin only, no CORS.
//
//   GET  /?token=T           sets the token cookie (HttpOnly, SameSite=Strict), redirects to /
//   GET  /<file>             the built renderer (out/renderer)
//   POST /api/call/<name>    JSON arguments → CallOutcome JSON (always 200 once past the guard)
//   WS   /api/events         {"event": "job" | "storeChanged" | "workingCopy" | "linksChecked", "payload": ...} per message;
//                            on connect: storeChanged for the open store, and each running job's state
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName } from '../../src-shared/contract';
import type { ApiService } from '../app/api-service';
import { checkRequest, cookieName, type GuardConfig } from './guard';
import { findRendererDir, SECURITY_HEADERS, serveStatic } from './static-files';

export interface ServeOptions {
  readonly service: ApiService;
  /** 0 picks a free port. */
  readonly port?: number;
  /** A different local port a browser uses through an SSH tunnel (its Host/Origin are accepted too). */
  readonly forwardedPort?: number;
  /** Fixed token (tests); a fresh random one otherwise. */
  readonly token?: string;
  /** The built renderer; found from the install when absent. */
  readonly rendererDir?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly server: Server;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY = 1024 * 1024;
const PING_MS = 30_000; // keeps SSH tunnels and proxies from dropping an idle event stream

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { service } = opts;
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const rendererDir = opts.rendererDir ?? findRendererDir();
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  // Filled in once listening: the guard needs the real port.
  let guard: GuardConfig = { token, ports: [] };
  let port = 0;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) plain(res, 500, `internal error: ${(e as Error).message}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const verdict = checkRequest(req, url, guard, port);
    if (!verdict.ok) { plain(res, verdict.status, verdict.reason); return; }

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') { plain(res, 405, 'expected POST', { Allow: 'POST' }); return; }
      // JSON only: a cross-site form or text/plain "simple request" cannot reach the API.
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) { plain(res, 415, 'expected Content-Type: application/json'); return; }
      const rawName = url.pathname.slice('/api/call/'.length);
      let name: string;
      try {
        name = decodeURIComponent(rawName);
      } catch {
        // A malformed escape (%E0%A4%A) names no call: the client's mistake, so a 400, not a 500 that reads as our bug.
        json(res, 400, { ok: false, error: { code: 'BAD_USAGE', message: `expected a call name, found a malformed percent-escape in ${JSON.stringify(rawName.slice(0, 100))}` } });
        return;
      }
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (e) {
        json(res, 200, { ok: false, error: { code: 'BAD_USAGE', message: `${name}: expected a JSON object as the body, ${(e as Error).message}` } });
        return;
      }
      json(res, 200, await service.call(name, body));
      return;
    }
    if (url.pathname.startsWith('/api/')) { plain(res, 404, `no such endpoint ${url.pathname}`); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { plain(res, 405, 'expected GET', { Allow: 'GET, HEAD' }); return; }

    // First page load from the printed URL: trade the token in the URL for a
    // cookie, and drop it from the address bar and the history.
    if (url.searchParams.has('token')) {
      url.searchParams.delete('token');
      res.writeHead(302, {
        ...SECURITY_HEADERS,
        'Set-Cookie': `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    await serveStatic(res, rendererDir, url.pathname);
  }

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const verdict = checkRequest(req, url, guard, port);
    const refuse = (status: number, reason: string): void => {
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}`);
    };
    if (!verdict.ok) { refuse(verdict.status, verdict.reason); return; }
    if (url.pathname !== '/api/events') { refuse(404, 'no such endpoint'); return; }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    // The stream is one-way: anything a client sends is ignored. A client that
    // (re)connects may have missed events: tell it to refresh, and where each
    // running job stands.
    const root = service.currentRoot;
    if (root) ws.send(JSON.stringify({ event: 'storeChanged', payload: { root } }));
    for (const e of service.runner.list()) if (e.state === 'running') ws.send(JSON.stringify({ event: 'job', payload: e }));
  });
  const broadcast = (event: EventName) => (payload: unknown): void => {
    const data = JSON.stringify({ event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(data);
  };
  const offs = [service.on('job', broadcast('job')), service.on('storeChanged', broadcast('storeChanged')), service.on('workingCopy', broadcast('workingCopy')), service.on('linksChecked', broadcast('linksChecked'))];
  const ping = setInterval(() => { for (const ws of clients) ws.ping(); }, PING_MS);
  ping.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => { server.off('error', reject); resolve(); });
  });
  port = (server.address() as AddressInfo).port;
  guard = { token, ports: opts.forwardedPort && opts.forwardedPort !== port ? [port, opts.forwardedPort] : [port] };

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    token,
    server,
    close: async () => {
      clearInterval(ping);
      for (const off of offs) off();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(text);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(value));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`got more than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try { return JSON.parse(text) as unknown; } catch (e) { throw new Error(`got invalid JSON (${(e as Error).message})`); }
}
