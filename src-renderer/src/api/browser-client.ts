// WeightlineApi over HTTP + WebSocket, for browser mode (`weightline serve`).
//
// Authentication: the URL printed by `weightline serve` carries `?token=...`;
// the server answers that page load by setting an HttpOnly, SameSite=Strict
// cookie and redirecting to the bare URL, so every later fetch and the
// WebSocket carry the cookie without this code ever seeing the token. If the
// page still has a token in its URL (a server that did not redirect), it is
// sent as `Authorization: Bearer` too.
import type {
  CallArgs, CallName, CallOutcome, CallResults, EventName, Events, WeightlineApi,
} from '../../../src-shared/contract';
import { WeightlineError } from '../../../src-shared/errors';

type Listener = (payload: never) => void;

export interface BrowserClientOptions {
  /** Base URL of the server; defaults to the page's own origin. */
  readonly base?: string;
  readonly token?: string;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

export function createBrowserClient(opts: BrowserClientOptions = {}): WeightlineApi {
  const base = opts.base ?? window.location.origin;
  const token = opts.token ?? new URLSearchParams(window.location.search).get('token') ?? undefined;
  const listeners = new Map<EventName, Set<Listener>>();
  let socket: WebSocket | undefined;
  let retryMs = RECONNECT_MIN_MS;

  function connect(): void {
    const url = new URL('/api/events', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) url.searchParams.set('token', token);
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => { retryMs = RECONNECT_MIN_MS; };
    // A failed connection also closes; onclose retries. (Handled so it is not reported as uncaught.)
    ws.onerror = () => {};
    ws.onmessage = (msg) => {
      let parsed: { event?: unknown; payload?: unknown };
      try { parsed = JSON.parse(String(msg.data)) as typeof parsed; } catch { return; }
      const set = typeof parsed.event === 'string' ? listeners.get(parsed.event as EventName) : undefined;
      for (const l of set ?? []) (l as (p: unknown) => void)(parsed.payload);
    };
    // The server restarting or the SSH tunnel dropping must not leave the UI
    // deaf: reconnect with backoff for as long as anyone listens.
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      if (totalListeners() === 0) return;
      setTimeout(() => { if (!socket && totalListeners() > 0) connect(); }, retryMs);
      retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
    };
  }

  function totalListeners(): number {
    let n = 0;
    for (const s of listeners.values()) n += s.size;
    return n;
  }

  return {
    transport: 'browser',
    async call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallResults[N]> {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (token) headers['Authorization'] = `Bearer ${token}`;
      let res: Response;
      try {
        res = await fetch(new URL(`/api/call/${encodeURIComponent(name)}`, base), {
          method: 'POST', headers, body: JSON.stringify(args ?? {}), credentials: 'same-origin',
        });
      } catch (e) {
        throw new WeightlineError('NOT_FOUND', `cannot reach the Weightline server at ${base} (${(e as Error).message}); is \`weightline serve\` still running?`);
      }
      if (res.status === 401 || res.status === 403) {
        throw new WeightlineError('BAD_USAGE', `the server refused the call (${res.status}): open the URL that \`weightline serve\` printed, with its token`);
      }
      let outcome: CallOutcome<N>;
      try {
        outcome = (await res.json()) as CallOutcome<N>;
      } catch {
        throw new WeightlineError('BAD_USAGE', `expected a JSON answer from ${name}, got HTTP ${res.status} ${res.statusText}`);
      }
      if (!outcome.ok) throw WeightlineError.fromJSON(outcome.error);
      return outcome.value;
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as Listener);
      if (!socket) connect();
      return () => {
        set.delete(listener as Listener);
        if (totalListeners() === 0 && socket) {
          const ws = socket;
          socket = undefined;
          ws.close();
        }
      };
    },
  };
}
