// `weightline serve [--port N] [--open]`: browser mode. The server and the
// app service are imported only when this command runs, so every other
// command keeps its fast start.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { WeightlineError } from '../../src-shared/errors';
import type { CommandContext } from './command-context';

const DEFAULT_PORT = 8765;

function portOption(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new WeightlineError('BAD_USAGE', `${name} takes a port number from 0 to 65535, found "${value}"`);
  return n;
}

export function registerServe(program: Command, ctx: CommandContext): void {
  program.command('serve')
    .description('serve the Weightline interface to a browser on this machine (127.0.0.1 only, with a per-launch token); over SSH, forward the port')
    .option('--port <n>', `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`)
    .option('--forwarded-port <n>', 'the local port of an SSH tunnel, when it differs from --port (ssh -L <n>:127.0.0.1:<port>)')
    .option('--open', 'open the URL in the default browser')
    .action(async (o: { port?: string; forwardedPort?: string; open?: boolean }) => {
      const port = o.port === undefined ? DEFAULT_PORT : portOption('--port', o.port);
      const forwardedPort = o.forwardedPort === undefined ? undefined : portOption('--forwarded-port', o.forwardedPort);
      const [{ ApiService }, { startServer }] = await Promise.all([import('../app/api-service'), import('../server/server')]);
      const service = new ApiService();
      // Serving from inside a store opens it; elsewhere the page offers open / create / sample.
      const store = await (await import('../core/verbs')).findStore(ctx.here()).catch(() => undefined);
      if (store) await service.openStore(store.root);
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({ service, port, ...(forwardedPort ? { forwardedPort } : {}) });
      } catch (e) {
        await service.dispose();
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new WeightlineError('REFUSED', `port ${port} on 127.0.0.1 is in use (another weightline serve?); pick another with --port N, or --port 0 for any free one`);
        throw e;
      }
      ctx.out(`Weightline is serving ${store ? store.root : '(no store yet: open, create or try the sample in the browser)'} at ${server.url}`);
      ctx.out('Press Ctrl+C to stop.');
      if (o.open) openInBrowser(server.url, (why) => ctx.err(`weightline: note: --open could not open a browser (${why}); open ${server.url} yourself`));
      await stopSignal();
      await server.close();
      await service.dispose();
    });
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Best effort: on a headless SSH host there is no browser, and the printed URL
 * is enough; but --open was asked for, so a failure is said, once.
 */
function openInBrowser(url: string, failed: (why: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  // Without a display xdg-open falls back to text browsers in this very terminal, or to nothing.
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) { failed('no graphical display: DISPLAY and WAYLAND_DISPLAY are unset'); return; }
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]]
    : ['xdg-open', [url]];
  let said = false;
  const fail = (why: string): void => { if (!said) { said = true; failed(why); } };
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ENOENT' ? `${cmd} is not installed` : `${cmd}: ${e.message}`));
    child.on('exit', (code) => { if (code !== 0 && code !== null) fail(`${cmd} exited with code ${code}`); });
    child.unref();
  } catch (e) {
    fail(`${cmd}: ${(e as Error).message}`);
  }
}
