// `weightline serve` as users run it: the built CLI (bin/weightline.mjs →
// out/main/cli.js), which must fork the built job entry out/main/job.js.
// Skipped before `npm run build` (CI builds first).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useScratch } from '../helpers/models';

const repo = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(repo, 'bin', 'weightline.mjs');
const built = existsSync(path.join(repo, 'out', 'main', 'cli.js')) && existsSync(path.join(repo, 'out', 'main', 'job.js'));
const scratch = useScratch();
let child: ChildProcess | undefined;
afterEach(() => { child?.kill('SIGKILL'); child = undefined; });

function serve(cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('Weightline is serving'));
      if (line) resolve(line);
    });
    child!.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

describe.skipIf(!built)('weightline serve (built)', () => {
  it('prints the store and a tokened loopback URL, refuses requests without the token, and runs jobs in out/main/job.js', async () => {
    // Built code end to end (the store too), so a source tree edited since the build cannot disagree with it.
    const root = path.join(scratch(), 'store');
    execFileSync(process.execPath, [bin, 'demo', root], { stdio: 'ignore' });
    const line = await serve(root, { ...process.env, WEIGHTLINE_CONFIG_DIR: scratch() });
    const m = /^Weightline is serving (.+) at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32,}))$/.exec(line);
    expect(m, line).not.toBeNull();
    const [, store, , port, token] = m!;
    expect(store).toBe(root);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/`)).status).toBe(401);

    const post = (name: string, body: unknown): Promise<{ ok: boolean; value?: unknown }> =>
      fetch(`${base}/api/call/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ ok: boolean; value?: unknown }>);
    const started = await post('jobs.start', { kind: 'verify' });
    expect(started.ok).toBe(true);
    const { jobId } = started.value as { jobId: string };
    let final: { state: string; result?: { value: { ok: boolean } } } | undefined;
    for (let i = 0; i < 300 && !final; i++) {
      const jobs = (await post('jobs.list', {})).value as Array<{ jobId: string; state: string; result?: { value: { ok: boolean } } }>;
      final = jobs.find((j) => j.jobId === jobId && j.state !== 'running');
      if (!final) await new Promise((r) => setTimeout(r, 100));
    }
    expect(final, JSON.stringify(final)).toMatchObject({ state: 'done', result: { value: { ok: true } } });
  });
});
