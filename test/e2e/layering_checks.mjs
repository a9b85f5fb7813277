// Checks that the layers face one way (components → the public API → inspect/nn → ops → gpu): the
// elements import the engine only through src/index.ts, the network code knows no file format, and
// nothing in the library knows about the elements. Each check reads the import statements of the
// source files (comments left out) and names every offending file:line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

const SOURCE = /\.(ts|mts|js|mjs)$/;

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Every source file under `dir`, as repository-relative paths with forward slashes. */
export function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(path.split(sep).join('/'));
  }
  return out;
}

/**
 * The text with comments blanked out (newlines kept, so offsets keep their line numbers); string
 * and template literals are kept as they are, so a `//` inside a URL is not taken for a comment.
 */
export function withoutComments(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') (out += ' '), i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += text[i] === '\n' ? '\n' : ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The module specifiers a file imports or re-exports (static, side-effect and dynamic), with their lines. */
export function importsOf(text) {
  const code = withoutComments(text);
  const found = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\1/g;
  for (const m of code.matchAll(pattern)) {
    found.push({ specifier: m[2], line: code.slice(0, m.index).split('\n').length });
  }
  return found;
}

/** Where a relative specifier of `file` points, repository-relative; null for a package import. */
export function resolved(file, specifier) {
  if (!specifier.startsWith('.')) return null;
  return normalize(join(dirname(file), specifier)).split(sep).join('/');
}

/** `file:line → specifier` for each import of the files under `dir` that `bad(target)` refuses. */
export function offenders(dir, bad) {
  const out = [];
  for (const file of sourceFiles(dir)) {
    for (const { specifier, line } of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolved(file, specifier);
      if (target !== null && bad(target)) out.push(`${file}:${line} → ${specifier}`);
    }
  }
  return out;
}

const under = (target, dir) => target === dir || target.startsWith(`${dir}/`);
const report = (what, found) => `${found.length} ${what}:\n${found.join('\n')}`;

export const layeringTests = [
  {
    name: 'layering: the elements use the engine only through its public entry point, src/index.ts',
    async run() {
      const found = offenders('components', (t) => under(t, 'src') && !/^src\/index\.(js|ts)$/.test(t));
      expect(found.length === 0, report('imports of src/ internals from components/', found));
    },
  },
  {
    name: 'layering: src/nn imports nothing from src/io (formats are plug-ins that produce layers and weights)',
    async run() {
      const found = offenders('src/nn', (t) => under(t, 'src/io'));
      expect(found.length === 0, report('imports of src/io from src/nn', found));
    },
  },
  {
    name: 'layering: nothing under src/ imports from components/',
    async run() {
      const found = offenders('src', (t) => under(t, 'components'));
      expect(found.length === 0, report('imports of components/ from src/', found));
    },
  },
  {
    name: 'layering: the import reader sees static, re-exported, side-effect and dynamic imports, and skips comments',
    async run() {
      const text = [
        "import { a } from './a.js';",
        'import {',
        '  b,',
        "} from '../b.js';",
        "export * from './c.js';",
        "import './d.js';",
        "// import { e } from './commented.js';",
        "/* export { f } from './block.js'; */",
        "const g = await import('./g.js');",
        "const url = 'http://x/y'; import type { H } from './h.js';",
      ].join('\n');
      const got = importsOf(text).map((i) => `${i.line}:${i.specifier}`);
      const want = ['1:./a.js', '4:../b.js', '5:./c.js', '6:./d.js', '9:./g.js', '10:./h.js'];
      expect(JSON.stringify(got) === JSON.stringify(want), `read ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      expect(resolved('components/internal/x.ts', '../../src/index.js') === 'src/index.js', 'resolution of a relative path');
      expect(resolved('components/internal/x.ts', 'lit') === null, 'a package is not a path');
    },
  },
];
