// The built renderer (out/renderer) served as static files, with the same
// Content-Security-Policy as the Electron window and headers that keep the page
// from being framed or leaking its URL. Paths are confined to the folder.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';
import { CSP } from '../../src-shared/csp';

export { CSP };


const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Where the built renderer is: $WEIGHTLINE_RENDERER_DIR, else out/renderer
 * found from this module, whether it runs from source (src-main/server) or
 * from the bundle (out/main or out/main/chunks).
 */
export function findRendererDir(from: string = import.meta.dirname): string | undefined {
  const env = process.env['WEIGHTLINE_RENDERER_DIR'];
  if (env) return env;
  let dir = from;
  for (let i = 0; i < 4; i++) {
    for (const c of [path.join(dir, 'renderer'), path.join(dir, 'out', 'renderer')]) {
      if (existsSync(path.join(c, 'index.html'))) return c;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Weightline</title>
<p>The Weightline interface is not built. Run <code>npm run build</code>, then start <code>weightline serve</code> again.
The API at <code>/api/call/&lt;name&gt;</code> works meanwhile.</p>`;

export async function serveStatic(res: ServerResponse, rendererDir: string | undefined, urlPath: string): Promise<void> {
  const send = (status: number, type: string, body: string | Buffer, cache = 'no-store'): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': cache });
    res.end(body);
  };
  if (!rendererDir) { send(200, TYPES['.html']!, NOT_BUILT); return; }
  let rel: string;
  try { rel = decodeURIComponent(urlPath); } catch { send(400, 'text/plain; charset=utf-8', 'bad path'); return; }
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${path.posix.normalize(`/${rel}`)}`);
  if (file !== root && !file.startsWith(root + path.sep)) { send(404, 'text/plain; charset=utf-8', 'not found'); return; }
  const st = await fs.stat(file).catch(() => null);
  if (st?.isFile()) {
    // Built assets carry a content hash in their names: cache them; never the page.
    const hashed = rel.startsWith('/assets/');
    send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', await fs.readFile(file), hashed ? 'public, max-age=31536000, immutable' : 'no-store');
    return;
  }
  // The UI has one page: unknown paths without an extension get it too.
  if (path.extname(rel) === '') { send(200, TYPES['.html']!, await fs.readFile(path.join(root, 'index.html'))); return; }
  send(404, 'text/plain; charset=utf-8', 'not found');
}
