// Guards for the project scaffolding: version constant, and the CLI bundle
// staying free of electron/react (startup time, and it must run under plain Node).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEIGHTLINE_VERSION } from '../src-shared/version';

const root = resolve(import.meta.dirname, '..');

describe('scaffolding', () => {
  it('WEIGHTLINE_VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
    expect(WEIGHTLINE_VERSION).toBe(pkg.version);
  });

  const cli = resolve(root, 'out/main/cli.js');
  it.skipIf(!existsSync(cli))('the built CLI never imports electron or react', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const m of code.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? '';
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(cli);
    const forbidden = [...bare].filter((s) => /^(electron|react|react-dom)(\/|$)/.test(s));
    expect(forbidden).toEqual([]);
  });
});
