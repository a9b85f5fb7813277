// End-to-end check of the published package as a consumer gets it: `npm pack` (which runs the
// build with type checking), the tarball installed into a temporary project, a TypeScript file
// importing every public name of both entry points compiled with the repository's tsc under
// --strict (moduleResolution bundler and node16, no skipLibCheck), and the packed bundles loaded
// from that install in a page. The list of names is read from the packed declarations, and the
// page checks that the bundles export nothing the declarations leave out, so a new export is
// covered without editing this file.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';

const REPO = resolve('.');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** What the tarball may hold, besides package.json and README.md. */
const ALLOWED = [/^dist\/cnn-webgpu(-elements)?\.js(\.map)?$/, /^dist\/types\/(src|components)\/.+\.d\.ts$/, /^(package\.json|README\.md|LICENSE)$/];

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Runs a command; resolves with its exit code and output, killing it after `timeoutMs`. */
function run(cmd, args, { cwd, timeoutMs = 60_000, env = process.env } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolvePromise({ code: -1, output: `${output}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

/** npm, with the environment an `npm test` parent leaves behind (npm_config_*, npm_package_*) removed, keeping the cache and registry settings. */
function npm(args, opts) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || /^npm_config_(cache|registry|userconfig|.*proxy)$/i.test(k)),
  );
  const cli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : null;
  return cli ? run(process.execPath, [cli, ...args], { ...opts, env }) : run('npm', args, { ...opts, env });
}

/**
 * Installs the tarball into `project`: from the npm cache alone first, then letting npm reach the
 * registry; where neither works (an offline machine whose cache lacks lit), unpacks it by hand and
 * links its dependencies to the repository's own copies. Returns how it was installed.
 */
async function installTarball(project, tarball) {
  const flags = ['--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'];
  const offline = await npm(['install', '--offline', ...flags, tarball], { cwd: project, timeoutMs: 30_000 });
  if (offline.code === 0) return 'npm install --offline';
  const online = await npm(['install', '--prefer-offline', '--fetch-retries=0', '--fetch-timeout=20000', ...flags, tarball], { cwd: project, timeoutMs: 30_000 });
  if (online.code === 0) return 'npm install --prefer-offline';
  const target = join(project, 'node_modules', 'cnn-webgpu');
  rmSync(join(project, 'node_modules'), { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const untar = await run('tar', ['-xzf', tarball, '--strip-components=1', '-C', target]);
  expect(untar.code === 0, `npm install failed (${lastLines(online.output)}) and so did unpacking the tarball: ${lastLines(untar.output)}`);
  const deps = Object.keys(JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')).dependencies ?? {});
  for (const dep of deps) {
    const from = join(REPO, 'node_modules', dep);
    expect(existsSync(from), `npm install failed (${lastLines(online.output)}) and the dependency ${dep} is not in the repository's node_modules to link`);
    mkdirSync(dirname(join(project, 'node_modules', dep)), { recursive: true });
    symlinkSync(from, join(project, 'node_modules', dep), 'dir');
  }
  return 'unpacked, dependencies linked (npm could not install offline or online)';
}

/** The report `npm pack --json` prints, found among whatever the prepack build printed around it. */
function packJson(output) {
  for (const m of output.matchAll(/^\[\s*\{/gm)) {
    const end = output.indexOf('\n]', m.index);
    try {
      const [info] = JSON.parse(output.slice(m.index, end + 2));
      if (info?.filename && Array.isArray(info.files)) return info;
    } catch {
      // not the report; look further
    }
  }
  throw new Error(`npm pack printed no JSON report: ${lastLines(output, 8)}`);
}

function lastLines(text, n = 4) {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/**
 * The names a declaration file exports: `export {…} [from]`, `export type {…}`, `export declare …`,
 * `export interface|type|class …`, `export * as name from`, following `export * from` into the file it names.
 */
function exportedNames(file, seen = new Set()) {
  if (seen.has(file)) return new Set();
  seen.add(file);
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const names = new Set();
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const spec = part.trim().replace(/^type\s+/, '');
      if (!spec) continue;
      const alias = spec.split(/\s+as\s+/).pop().trim();
      if (alias !== 'default') names.add(alias);
    }
  }
  for (const m of text.matchAll(/export\s+(?:declare\s+)?(?:abstract\s+)?(?:class|function|const|let|var|enum|interface|type|namespace)\s+([A-Za-z_$][\w$]*)/g)) {
    names.add(m[1]);
  }
  for (const m of text.matchAll(/export\s+\*\s+from\s+['"]([^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1].replace(/\.js$/, '.d.ts'));
    for (const n of exportedNames(target, seen)) names.add(n);
  }
  // A namespace re-export is one name (the module object), whatever the file behind it exports.
  for (const m of text.matchAll(/export\s+\*\s+as\s+([A-Za-z_$][\w$]*)\s+from/g)) names.add(m[1]);
  return names;
}

/** The custom element tags the declarations add to HTMLElementTagNameMap. */
function declaredTags(dir) {
  const tags = new Set();
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.d.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const block of text.matchAll(/interface\s+HTMLElementTagNameMap\s*\{([^}]*)\}/g)) {
          for (const m of block[1].matchAll(/['"]([a-z][\w-]*-[\w-]*)['"]\s*:/g)) tags.add(m[1]);
        }
      }
    }
  };
  walk(dir);
  return [...tags].sort();
}

const MIME = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json', '.json': 'application/json' };

/** Serves `root` on 127.0.0.1 (a secure context, so WebGPU is offered). */
function serve(root) {
  const server = createServer((req, res) => {
    const path = resolve(root, `.${decodeURIComponent(new URL(req.url, 'http://x').pathname)}`);
    if (!path.startsWith(root + sep) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  return new Promise((resolvePromise) => server.listen(0, '127.0.0.1', () => resolvePromise(server)));
}

/** The page: imports both packed bundles, runs the engine, and reports what it found. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>cnn-webgpu package check</title>
<script type="module">
  const report = (r) => { window.__result = r; };
  try {
    const engine = await import(ENGINE_URL);
    const elements = await import(ELEMENTS_URL);
    const e = await engine.createEngine();
    const t = e.tensor([1, -2, 3], [3]);
    const values = Array.from(await t.read());
    e.destroy();
    report({
      engineExports: Object.keys(engine),
      elementExports: Object.keys(elements),
      values,
      defined: Object.fromEntries(TAGS.map((tag) => [tag, customElements.get(tag)?.name ?? null])),
    });
  } catch (err) {
    report({ error: String(err?.stack ?? err) });
  }
</script>`;

export const packageTests = [
  {
    name: 'package: npm pack ships only the bundles, their maps and declarations; a --strict TypeScript consumer compiles against every export; the packed bundles run in a page',
    async run({ getBrowser, artifacts }) {
      const tmp = mkdtempSync(join(tmpdir(), 'cnn-webgpu-pack-'));
      const log = [];
      try {
        // The tarball, built as a publish would build it (prepack type-checks).
        const packed = await npm(['pack', '--json', '--pack-destination', tmp], { cwd: REPO, timeoutMs: 90_000 });
        expect(packed.code === 0, `npm pack failed: ${lastLines(packed.output, 12)}`);
        const info = packJson(packed.output);
        const files = info.files.map((f) => f.path);
        const junk = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
        expect(junk.length === 0, `the tarball holds files a consumer does not need: ${junk.slice(0, 10).join(', ')}${junk.length > 10 ? ` and ${junk.length - 10} more` : ''}`);
        const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
        for (const f of ['dist/cnn-webgpu.js', 'dist/cnn-webgpu-elements.js', pkg.types]) {
          expect(files.includes(f.replace(/^\.\//, '')), `the tarball lacks ${f}`);
        }

        // engines: what the package demands, what runs here and what the README promises agree.
        const minNode = Number(/^>=\s*(\d+)(\.\d+)*$/.exec(pkg.engines?.node ?? '')?.[1]);
        expect(Number.isInteger(minNode), `package.json engines.node should be ">=N", got ${JSON.stringify(pkg.engines?.node)}`);
        expect(Number(process.versions.node.split('.')[0]) >= minNode, `Node ${process.versions.node} does not satisfy engines.node ${pkg.engines.node}`);
        expect(readFileSync(join(REPO, 'README.md'), 'utf8').includes(`Node.js ${minNode} or newer`), `README.md should say "Node.js ${minNode} or newer" as engines.node does`);

        // A consumer project with the tarball installed.
        const project = join(tmp, 'consumer');
        mkdirSync(project);
        writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
        log.push(`installed by ${await installTarball(project, join(tmp, info.filename))}`);
        const installed = join(project, 'node_modules', 'cnn-webgpu');
        const installedPkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
        const entries = { engine: installedPkg.exports['.'], elements: installedPkg.exports['./elements'] };
        for (const [what, entry] of Object.entries(entries)) {
          expect(entry?.types && entry?.default, `package.json exports has no types and default for the ${what} entry`);
          for (const f of [entry.types, entry.default]) expect(existsSync(join(installed, f)), `exports names ${f}, which the installed package lacks`);
        }
        expect(installedPkg.types === entries.engine.types.replace(/^\.\//, ''), `"types" (${installedPkg.types}) and exports["."].types (${entries.engine.types}) differ`);
        const names = {
          engine: [...exportedNames(join(installed, entries.engine.types))].sort(),
          elements: [...exportedNames(join(installed, entries.elements.types))].sort(),
        };
        expect(names.engine.includes('createEngine') && names.elements.includes('CnnLayerViewer'), `declared exports look wrong: ${JSON.stringify(names)}`);
        const tags = declaredTags(join(installed, dirname(entries.elements.types)));
        expect(tags.includes('cnn-layer-viewer'), `HTMLElementTagNameMap entries found: ${tags.join(', ') || 'none'}`);

        // The packed bundles in a page, served from the install.
        const page = PAGE.replace('ENGINE_URL', JSON.stringify(`/node_modules/cnn-webgpu/${entries.engine.default.replace(/^\.\//, '')}`))
          .replace('ELEMENTS_URL', JSON.stringify(`/node_modules/cnn-webgpu/${entries.elements.default.replace(/^\.\//, '')}`))
          .replace('TAGS', JSON.stringify(tags));
        writeFileSync(join(project, 'index.html'), page);
        const server = await serve(project);
        const browser = await getBrowser();
        const context = await browser.newContext();
        let result;
        try {
          const p = await context.newPage();
          const errors = [];
          p.on('pageerror', (err) => errors.push(err.message));
          await p.goto(`http://127.0.0.1:${server.address().port}/index.html`, { waitUntil: 'load', timeout: 30_000 });
          await p.waitForFunction(() => window.__result !== undefined, null, { timeout: 60_000, polling: 100 });
          result = await p.evaluate(() => window.__result);
          expect(!result.error, `the page failed: ${result.error}`);
          expect(errors.length === 0, `uncaught page errors: ${errors.join(' | ')}`);
        } finally {
          await context.close().catch(() => {});
          await new Promise((r) => server.close(r));
        }
        expect(JSON.stringify(result.values) === '[1,-2,3]', `createEngine ran, but a tensor read back ${JSON.stringify(result.values)}`);
        const undefinedTags = Object.entries(result.defined).filter(([, cls]) => !cls).map(([tag]) => tag);
        expect(undefinedTags.length === 0, `the elements bundle did not define ${undefinedTags.join(', ')}`);
        for (const [what, runtime] of [['engine', result.engineExports], ['elements', result.elementExports]]) {
          const undeclared = runtime.filter((n) => !names[what].includes(n));
          expect(undeclared.length === 0, `the ${what} bundle exports ${undeclared.join(', ')}, which its declarations leave out`);
        }

        // A TypeScript consumer: every declared name imported, the run-time ones used as values.
        const runtime = { engine: new Set(result.engineExports), elements: new Set(result.elementExports) };
        const importList = (what) => names[what].map((n) => (runtime[what].has(n) ? n : `type ${n}`)).join(', ');
        const source = [
          `import { ${importList('engine')} } from 'cnn-webgpu';`,
          `import { ${importList('elements')} } from 'cnn-webgpu/elements';`,
          `export const engineValues = [${names.engine.filter((n) => runtime.engine.has(n)).join(', ')}] as const;`,
          `export const elementValues = [${names.elements.filter((n) => runtime.elements.has(n)).join(', ')}] as const;`,
          ...tags.map((tag, i) => `export const el${i}: HTMLElementTagNameMap['${tag}'] = document.createElement('${tag}');`),
          `export async function use(): Promise<number[]> {`,
          `  const e = await createEngine();`,
          `  const t: Tensor = e.tensor([1, 2, 3], [3]);`,
          `  const values: Float32Array = await t.read();`,
          `  const viewer: CnnLayerViewer = document.createElement('cnn-layer-viewer');`,
          `  viewer.setAttribute('model', 'model.json');`,
          `  e.destroy();`,
          `  return Array.from(values);`,
          `}`,
          '',
        ].join('\n');
        writeFileSync(join(project, 'consumer.ts'), source);
        // No skipLibCheck: the packed declarations themselves are checked.
        const common = ['--strict', '--noEmit', '--target', 'es2022', '--lib', 'es2022,dom,dom.iterable'];
        for (const [module, resolution] of [['esnext', 'bundler'], ['node16', 'node16']]) {
          const tsc = await run(process.execPath, [TSC, ...common, '--module', module, '--moduleResolution', resolution, 'consumer.ts'], { cwd: project, timeoutMs: 60_000 });
          if (tsc.code !== 0) {
            writeFileSync(join(artifacts, 'package-consumer.ts'), source);
            throw new Error(`a consumer's consumer.ts does not compile (--module ${module} --moduleResolution ${resolution}; saved as ${artifacts}/package-consumer.ts):\n${tsc.output.trim().split('\n').slice(0, 8).join('\n')}`);
          }
        }
      } catch (err) {
        if (log.length) err.message += ` (${log.join('; ')})`;
        throw err;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  },
];
