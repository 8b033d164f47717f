// Two ESLint rules that keep the folders layered (the table is in
// eslint.config.js, LAYERS). Both work on RESOLVED paths, the way VS Code's
// code-layering rule does: every module reference — static import, `import
// type`, export … from, dynamic import(), require(), import('x').T in a type —
// is resolved against the importing file's folder (with TypeScript's
// extensionless and index resolution), so `../../ops`, a `../remote` barrel
// and `../store/../ops/x` all land on the file they name, however spelled.
//
// - layering: a file may import its own layer and the layers its entry lists.
// - no-cycle:  no module may reach itself through its imports (type imports
//   included: a type cycle is still two files that must change together).
//
// Paths are taken relative to the repository root (settings.layeringRoot in
// eslint.config.js), or to ESLint's working folder for files outside it (the
// fixture tree in test/lint).
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.mjs', '.cjs', '.jsx', '.json'];
const BUILTINS = new Set(builtinModules);

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The file a relative specifier names, or, when nothing on disk matches, the
 * path it would name (still enough to tell its layer). Null for packages.
 */
export function resolveSpecifier(fromFile, specifier) {
  if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) return null;
  // Vite suffixes (`?raw`, `?url`, `?asset`) name the same file.
  const bare = specifier.replace(/[?#].*$/, '');
  const base = path.resolve(path.dirname(fromFile), bare);
  const candidates = [base, ...EXTENSIONS.map((e) => base + e)];
  // TypeScript's ESM convention: './x.js' in source names './x.ts'.
  const js = /\.(c|m)?jsx?$/.exec(base);
  if (js) {
    const stem = base.slice(0, -js[0].length);
    candidates.push(stem + '.ts', stem + '.tsx', stem + '.mts', stem + '.cts');
  }
  candidates.push(...EXTENSIONS.map((e) => path.join(base, 'index' + e)));
  return candidates.find(isFile) ?? base;
}

/** A package specifier's name: 'node:fs/promises' → 'node:fs', '@scope/p/x' → '@scope/p'. */
function packageName(specifier) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name.startsWith('node:') ? name : BUILTINS.has(name) ? `node:${name}` : name;
}

/**
 * Calls back with (specifier, node) when an AST node is a module reference, and
 * with (null, node) for a dynamic import or require whose path is computed
 * (which no lint can check).
 */
export function moduleReferences(node, found) {
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ExportAllDeclaration':
    case 'ExportNamedDeclaration':
      if (node.source) found(node.source.value, node.source);
      break;
    case 'ImportExpression':
      found(staticString(node.source), node.source);
      break;
    case 'CallExpression':
      if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length === 1) {
        found(staticString(node.arguments[0]), node.arguments[0]);
      }
      break;
    case 'TSImportType':
      found(staticString(node.source ?? node.argument?.literal), node);
      break;
    case 'TSExternalModuleReference':
      found(staticString(node.expression), node.expression);
      break;
    default:
      break;
  }
}

function staticString(node) {
  if (!node) return null;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return null;
}

const REFERENCE_NODES = ['ImportDeclaration', 'ExportAllDeclaration', 'ExportNamedDeclaration', 'ImportExpression', 'CallExpression', 'TSImportType', 'TSExternalModuleReference'];

// The import graph for the cycle check, read once per ESLint process and
// re-read only for files whose size or mtime changed.
const graphCache = new Map();

function relativeDeps(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return [];
  }
  const hit = graphCache.get(file);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.deps;
  // TypeScript's import scanner, not a full parse: it finds the same references
  // the rule's visitors see (import, import type, export-from, import(),
  // require, import('x').T, import x = require()) at a fraction of the cost,
  // and the linted file itself is parsed by ESLint anyway.
  const deps = [];
  for (const ref of ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles) {
    const target = resolveSpecifier(file, ref.fileName);
    if (target && isFile(target)) deps.push(target);
  }
  graphCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, deps });
  return deps;
}

/** The first import path from `start` back to `file`, as a list of files, or null. */
function cycleThrough(file, start, inScope) {
  const seen = new Set();
  const stack = [[start, [start]]];
  while (stack.length) {
    const [at, trail] = stack.pop();
    if (at === file) return trail;
    if (seen.has(at) || !inScope(at)) continue;
    seen.add(at);
    for (const next of relativeDeps(at)) stack.push([next, [...trail, next]]);
  }
  return null;
}

function posix(p) {
  return p.split(path.sep).join('/');
}

/**
 * The folder the layer table's paths are relative to, for this file: the
 * repository root eslint.config.js names (settings.layeringRoot), so running
 * ESLint from a subfolder changes nothing, else ESLint's working folder (the
 * fixture tree in test/lint). Null when the file is in no layered root there.
 */
function layeredBase(context, roots) {
  const file = context.physicalFilename;
  for (const base of [context.settings?.layeringRoot, context.cwd]) {
    if (!base) continue;
    const rel = posix(path.relative(base, file));
    if (roots.some((r) => rel.startsWith(r + '/'))) return base;
  }
  return null;
}

/** The layer owning a repository-relative path: the longest folder containing it. */
function layerOf(rel, layers) {
  let best = null;
  for (const [name, layer] of Object.entries(layers)) {
    for (const folder of layer.folders) {
      if ((rel === folder || rel.startsWith(folder + '/')) && (!best || folder.length > best.folder.length)) best = { name, folder };
    }
  }
  return best?.name ?? null;
}

// Options: layers, { name: { folders: [repository-relative folders], may: [layer
// names it may import besides itself], packages?: [{ names: ['electron' |
// 'node:*' | …], why }] (packages it may not import) } }; roots, the folders
// whose every file must belong to a layer; exceptions, [{ files, may }]: extra
// layers for the listed files.
const layeringSchema = [{
  type: 'object',
  properties: {
    layers: { type: 'object' },
    roots: { type: 'array', items: { type: 'string' } },
    exceptions: { type: 'array' },
  },
  required: ['layers', 'roots'],
  additionalProperties: false,
}];

const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'A file imports only its own layer and the layers listed for it (eslint.config.js, LAYERS), on resolved paths.' },
    schema: layeringSchema,
    messages: {
      upward: '{{fromFile}} (layer {{from}}) imports {{toFile}} (layer {{to}}); {{from}} may import only {{allowed}} (eslint.config.js, LAYERS). Move the shared piece down, or call it from the layer above.',
      outside: '{{fromFile}} imports {{toFile}}, which is outside the layered folders ({{roots}}); source reaches other source only inside them.',
      unlayered: '{{fromFile}} belongs to no layer in eslint.config.js (LAYERS): add its folder to the table.',
      computed: 'a dynamic import or require with a computed path cannot be checked against the layers: use a string literal.',
      package: '{{from}} may not import the package "{{name}}": {{why}}',
    },
  },
  create(context) {
    const { layers, roots, exceptions = [] } = context.options[0];
    const cwd = layeredBase(context, roots);
    if (cwd === null) return {};
    const file = context.physicalFilename;
    const rel = posix(path.relative(cwd, file));
    const from = layerOf(rel, layers);
    if (!from) {
      return { Program(node) { context.report({ node, messageId: 'unlayered', data: { fromFile: rel } }); } };
    }
    const allowed = new Set([from, ...layers[from].may]);
    for (const ex of exceptions) if (ex.files.includes(rel)) for (const l of ex.may) allowed.add(l);

    const check = (spec, node) => {
      if (spec === null) {
        context.report({ node, messageId: 'computed' });
        return;
      }
      const target = resolveSpecifier(file, spec);
      if (target === null) {
        const name = packageName(spec);
        const rule = (layers[from].packages ?? []).find((p) => p.names.includes(name) || (p.names.includes('node:*') && name.startsWith('node:')));
        if (rule) context.report({ node, messageId: 'package', data: { from, name, why: rule.why } });
        return;
      }
      const toFile = posix(path.relative(cwd, target));
      const to = layerOf(toFile, layers);
      if (!to) {
        context.report({ node, messageId: 'outside', data: { fromFile: rel, toFile, roots: roots.join(', ') } });
      } else if (!allowed.has(to)) {
        context.report({ node, messageId: 'upward', data: { from, fromFile: rel, to, toFile, allowed: [...allowed].filter((l) => l !== from).join(', ') || 'nothing outside itself' } });
      }
    };
    return Object.fromEntries(REFERENCE_NODES.map((type) => [type, (node) => moduleReferences(node, check)]));
  },
};

const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'No module reaches itself through its imports (resolved paths, type imports included).' },
    schema: [{ type: 'object', properties: { roots: { type: 'array', items: { type: 'string' } } }, required: ['roots'], additionalProperties: false }],
    messages: {
      cycle: 'import cycle: {{cycle}}. Move what both need into a file (or a lower layer) that neither side imports back.',
    },
  },
  create(context) {
    const cwd = layeredBase(context, context.options[0].roots);
    if (cwd === null) return {};
    const roots = context.options[0].roots.map((r) => path.join(cwd, r) + path.sep);
    const inScope = (p) => roots.some((r) => p.startsWith(r));
    const file = context.physicalFilename;
    if (!inScope(file)) return {};
    const reported = new Set();
    const check = (spec, node) => {
      if (spec === null) return;
      const target = resolveSpecifier(file, spec);
      if (target === null || !isFile(target) || !inScope(target) || reported.has(target)) return;
      const trail = cycleThrough(file, target, inScope);
      if (!trail) return;
      reported.add(target);
      const cycle = [file, ...trail].map((p) => posix(path.relative(cwd, p))).join(' → ');
      context.report({ node, messageId: 'cycle', data: { cycle } });
    };
    return Object.fromEntries(REFERENCE_NODES.map((type) => [type, (node) => moduleReferences(node, check)]));
  },
};

export default { meta: { name: 'weightline-local' }, rules: { layering, 'no-cycle': noCycle } };
