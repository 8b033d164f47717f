// The layering lint itself, run through ESLint's Node API with the repository's
// own eslint.config.js over test/lint/fixtures: a small tree shaped like the
// repository, where each bad-* file breaks one rule in one way and every other
// file must pass untouched.
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(import.meta.dirname, 'fixtures');

// file (relative to the fixtures) → the local rule messages it must produce, as "rule:line".
const EXPECTED: Record<string, string[]> = {
  'src-shared/words.ts': [],
  'src-shared/bad-main.ts': ['layering:1'],
  'src-main/core/base/bytes.ts': [],
  'src-main/core/base/bad-dynamic.ts': ['layering:2'],
  'src-main/core/base/bad-type.ts': ['layering:1'],
  'src-main/core/base/bad-type-query.ts': ['layering:1'],
  'src-main/core/base/bad-export-from.ts': ['layering:1'],
  'src-main/core/base/bad-require.ts': ['layering:2'],
  'src-main/core/base/bad-computed.ts': ['layering:2'],
  'src-main/core/base/bad-electron.ts': ['layering:1'],
  'src-main/core/base/bad-outside.ts': ['layering:1'],
  'outside.ts': [],
  'src-main/core/formats/cycle-a.ts': ['no-cycle:1'],
  'src-main/core/formats/cycle-b.ts': ['no-cycle:1'],
  'src-main/core/codec/kernels/bad-ops.ts': ['layering:1'],
  'src-main/core/store/row.ts': [],
  'src-main/core/store/bad-barrel.ts': ['layering:1'],
  'src-main/core/remote/client.ts': [],
  'src-main/core/remote/index.ts': [],
  'src-main/core/ops/ok.ts': [],
  'src-main/core/verbs/commit.ts': [],
  'src-main/cli/ok.ts': [],
  'src-main/cli/bad-core.ts': ['layering:1'],
  'src-main/jobs/bad-dynamic-core.ts': ['layering:2'],
  'src-main/app/bad-cli.ts': ['layering:1'],
  'src-main/stray.ts': ['layering:1'],
  'src-renderer/ok.ts': [],
  'src-renderer/bad-node.ts': ['layering:1'],
  'src-renderer/bad-electron.ts': ['layering:1'],
  'src-preload/bad-main.ts': ['layering:1'],
};

describe('layering lint on the fixture tree', () => {
  let results: ESLint.LintResult[];
  const byFile = (rel: string): ESLint.LintResult => {
    const r = results.find((x) => path.relative(fixtures, x.filePath).split(path.sep).join('/') === rel);
    if (!r) throw new Error(`expected ESLint to lint ${rel}, it did not`);
    return r;
  };

  beforeAll(async () => {
    const eslint = new ESLint({ cwd: fixtures, overrideConfigFile: path.join(repo, 'eslint.config.js') });
    results = await eslint.lintFiles(['.']);
  });

  it('lints every fixture file, and only those', () => {
    const linted = results.map((r) => path.relative(fixtures, r.filePath).split(path.sep).join('/')).sort();
    expect(linted).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s gives %j', (rel, expected) => {
    const r = byFile(rel);
    const local = r.messages.filter((m) => m.ruleId?.startsWith('local/')).map((m) => `${m.ruleId!.slice('local/'.length)}:${m.line}`);
    expect(local).toEqual(expected);
    // Nothing else fires: a fixture that broke for another reason would prove nothing.
    expect(r.messages.filter((m) => !m.ruleId?.startsWith('local/'))).toEqual([]);
  });

  it('says where a wrong import lands and what the layer may import instead', () => {
    const [m] = byFile('src-main/core/codec/kernels/bad-ops.ts').messages;
    expect(m?.message).toContain('src-main/core/codec/kernels/bad-ops.ts (layer codec) imports src-main/core/ops/ok.ts (layer ops)');
    expect(m?.message).toContain('codec may import only formats, base, shared');
    const [barrel] = byFile('src-main/core/store/bad-barrel.ts').messages;
    expect(barrel?.message).toContain('imports src-main/core/remote/index.ts (layer remote)');
  });

  it('names the whole cycle', () => {
    const [m] = byFile('src-main/core/formats/cycle-a.ts').messages;
    expect(m?.message).toContain('src-main/core/formats/cycle-a.ts → src-main/core/formats/cycle-b.ts → src-main/core/formats/cycle-a.ts');
  });
});
