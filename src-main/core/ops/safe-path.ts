import * as path from 'node:path';
import { WeightlineError } from '../../../src-shared/errors';

/** Joins a manifest path under root, refusing anything that would land outside it. */
export function safeJoin(root: string, rel: string): string {
  const parts = rel.split('/');
  if (rel === '' || path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel) || rel.includes('\\') || parts.some((p) => p === '..' || p === '.' || p === '' || p.includes('\0'))) {
    throw new WeightlineError('UNSAFE_PATH', `refusing the path "${rel}" from a manifest: it is absolute or leaves its target folder`);
  }
  return path.join(root, ...parts);
}
