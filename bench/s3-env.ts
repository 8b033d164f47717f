import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The S3 server the remote benches talk to: the one AWS_* in the environment
 * name, else the project's own radosgw started (or found running) by
 * scripts/s3-server.sh.
 */
export function s3Env(repo: string): Record<string, string> {
  const given = ['AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'];
  if (given.every((k) => process.env[k])) return Object.fromEntries(given.map((k) => [k, process.env[k]!]));
  const out = spawnSync(path.join(repo, 'scripts', 's3-server.sh'), ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error('scripts/s3-server.sh start failed');
  const env: Record<string, string> = {};
  for (const m of out.stdout.matchAll(/^export (AWS_[A-Z0-9_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}
