// Flat config. Besides typescript-eslint's recommended rules, this file holds the
// layering of the source folders (LAYERS; see docs/ARCHITECTURE.md and the
// CONTEXT.md files), checked by the local rules in eslint-local/.
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import local from './eslint-local/layering.js';

// The layers, each with the layers it may import besides itself. A file
// belongs to the longest folder that contains it; an import is checked on the
// path it RESOLVES to (static, `import type`, export-from, dynamic import(),
// require), so no spelling slips past (eslint-local/layering.js).
//
// Inside src-main/core the layers go bottom to top: base → formats → trainers → codec →
// store → rebuild → {remote, ops} → verbs; each imports only downward (remote
// and ops are siblings: neither imports the other; a verb combines them).
// The runtimes (jobs, app, server, cli, electron) reach the store only through
// the verb layer; src-preload and src-renderer only through src-shared.
const CORE = ['base', 'formats', 'trainers', 'codec', 'store', 'rebuild', 'remote', 'ops'];
const NODE_ONLY = { names: ['node:*'], why: 'it runs in a sandboxed browser context: no Node modules.' };
const NO_ELECTRON = { names: ['electron'], why: 'only src-main/electron and src-preload import electron; the rest runs without it (the CLI, browser mode, tests, the browser).' };
const LAYERS = {
  shared: { folders: ['src-shared'], may: [], packages: [NODE_ONLY, NO_ELECTRON] },
  base: { folders: ['src-main/core/base'], may: ['shared'], packages: [NO_ELECTRON] },
  formats: { folders: ['src-main/core/formats'], may: ['base', 'shared'], packages: [NO_ELECTRON] },
  // What trainers write: checkpoint layouts, completion signs, step and metrics (reads files, writes none).
  trainers: { folders: ['src-main/core/trainers'], may: ['formats', 'base', 'shared'], packages: [NO_ELECTRON] },
  codec: { folders: ['src-main/core/codec'], may: ['formats', 'base', 'shared'], packages: [NO_ELECTRON] },
  store: { folders: ['src-main/core/store'], may: ['codec', 'formats', 'base', 'shared'], packages: [NO_ELECTRON] },
  rebuild: { folders: ['src-main/core/rebuild'], may: ['store', 'codec', 'formats', 'base', 'shared'], packages: [NO_ELECTRON] },
  remote: { folders: ['src-main/core/remote'], may: ['rebuild', 'store', 'codec', 'formats', 'base', 'shared'], packages: [NO_ELECTRON] },
  ops: { folders: ['src-main/core/ops'], may: ['rebuild', 'store', 'codec', 'trainers', 'formats', 'base', 'shared'], packages: [NO_ELECTRON] },
  verbs: { folders: ['src-main/core/verbs'], may: [...CORE, 'shared'], packages: [NO_ELECTRON] },
  jobs: { folders: ['src-main/jobs'], may: ['verbs', 'shared'], packages: [NO_ELECTRON] },
  app: { folders: ['src-main/app'], may: ['jobs', 'verbs', 'shared'], packages: [NO_ELECTRON] },
  server: { folders: ['src-main/server'], may: ['app', 'verbs', 'shared'], packages: [NO_ELECTRON] },
  cli: { folders: ['src-main/cli'], may: ['server', 'app', 'verbs', 'shared'], packages: [NO_ELECTRON] },
  electron: { folders: ['src-main/electron'], may: ['app', 'jobs', 'verbs', 'shared'] },
  preload: { folders: ['src-preload'], may: ['shared'], packages: [NODE_ONLY] },
  renderer: { folders: ['src-renderer'], may: ['shared'], packages: [NODE_ONLY, NO_ELECTRON] },
};
const LAYERED_ROOTS = ['src-main', 'src-shared', 'src-preload', 'src-renderer'];

export default defineConfig(
  globalIgnores([
    'out/',
    'dist/',
    'node_modules/',
    'test/fixtures/',
    // Files made to break the layering; test/lint/layering.test.ts lints them on purpose.
    'test/lint/fixtures/',
    'bench/work/',
    'test-results/',
    'playwright-report/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Names, paths and messages come from manifests and remotes, which anyone who can write to a remote controls: the UI shows them as text, never as HTML.
      'no-restricted-syntax': ['error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'strings from a store or a remote are shown as React text, never as HTML' },
        { selector: "MemberExpression[property.name=/^(innerHTML|outerHTML|insertAdjacentHTML)$/]", message: 'set textContent instead: strings from a store or a remote are never HTML' },
        { selector: "CallExpression[callee.property.name='html']", message: "use d3's .text(): strings from a store or a remote are never HTML" },
      ],
    },
  },
  {
    files: LAYERED_ROOTS.map((r) => `${r}/**`),
    plugins: { local },
    settings: { layeringRoot: import.meta.dirname },
    rules: {
      'local/layering': ['error', { layers: LAYERS, roots: LAYERED_ROOTS }],
      'local/no-cycle': ['error', { roots: LAYERED_ROOTS }],
    },
  },
);
