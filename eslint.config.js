// Flat config. Besides typescript-eslint's recommended rules, this file holds the
// import boundaries between the runtime folders (see the CONTEXT.md files).
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electron = {
  group: ['electron', 'electron/*'],
  message: 'Only src-main/electron and src-preload may import electron.',
};
const fromMain = {
  group: ['**/src-main', '**/src-main/**'],
  message: 'Reach the store through the preload bridge / HTTP API, not by importing src-main.',
};
const fromRenderer = {
  group: ['**/src-renderer', '**/src-renderer/**'],
  message: 'src-shared must not depend on the renderer.',
};
const nodeBuiltins = {
  group: ['node:*', ...builtinModules.flatMap((m) => [m, `${m}/*`])],
  message: 'The renderer runs in a browser sandbox: no Node modules.',
};

// The store engine's layers, bottom to top (docs/ARCHITECTURE.md): each folder
// of src-main/core may import only from the folders before it in this list.
const CORE_LAYERS = ['formats', 'base', 'codec', 'store', 'rebuild', 'remote', 'ops'];
const coreLayerRules = CORE_LAYERS.map((layer, i) => {
  const above = CORE_LAYERS.slice(i + 1);
  return {
    files: [`src-main/core/${layer}/**`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          electron,
          // Same-layer imports are './x'; lower layers '../lower/x'. Anything reaching a higher layer is a cycle in the making.
          ...(above.length ? [{ group: above.map((a) => `../${a}/*`), message: `src-main/core/${layer} sits below ${above.join(', ')} (docs/ARCHITECTURE.md, "Layers"): move the shared piece down instead.` }] : []),
          { group: ['../../cli/*', '../../app/*', '../../jobs/*', '../../server/*', '../../electron/*'], message: 'The store engine never imports its callers.' },
        ],
      }],
    },
  };
});

export default defineConfig(
  globalIgnores([
    'out/',
    'dist/',
    'node_modules/',
    'test/fixtures/',
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
      'no-restricted-imports': ['error', { patterns: [nodeBuiltins, electron, fromMain] }],
      // Names, paths and messages come from manifests and remotes (issue 18): the UI shows them as text, never as HTML.
      'no-restricted-syntax': ['error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'strings from a store or a remote are shown as React text, never as HTML' },
        { selector: "MemberExpression[property.name=/^(innerHTML|outerHTML|insertAdjacentHTML)$/]", message: 'set textContent instead: strings from a store or a remote are never HTML' },
        { selector: "CallExpression[callee.property.name='html']", message: "use d3's .text(): strings from a store or a remote are never HTML" },
      ],
    },
  },
  {
    // The app service, jobs and server run under plain Node too (browser mode, tests):
    // Electron-only pieces are injected from src-main/electron.
    files: ['src-main/core/**', 'src-main/cli/**', 'src-main/app/**', 'src-main/jobs/**', 'src-main/server/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [electron] }] },
  },
  ...coreLayerRules,
  {
    files: ['src-shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [electron, fromMain, fromRenderer] }],
    },
  },
);
