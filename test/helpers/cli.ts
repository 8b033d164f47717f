// The CLI run in-process, its output captured: what the CLI tests share.
import { main } from '../../src-main/cli/main';

export async function cliRun(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await main(argv, { cwd, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** The command's output (parsed when --json), or an error naming the command, its exit code and its stderr. */
export async function cliOk<T = string>(cwd: string, ...argv: string[]): Promise<T> {
  const r = await cliRun(cwd, ...argv);
  if (r.code !== 0) throw new Error(`weightline ${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return (argv.includes('--json') ? JSON.parse(r.stdout) : r.stdout) as T;
}
