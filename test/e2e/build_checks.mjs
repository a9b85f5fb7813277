// Checks of the build step that turns .wgsl files into modules (tools/wgsl-module.mjs): every shader
// of the repository reflects, bindings come out by name with their access, and a shader the engine
// could not drive fails the build with its file named.
import { readdirSync, readFileSync } from 'node:fs';
import { expandIncludes, reflectWgsl, wgslModuleSource } from '../../tools/wgsl-module.mjs';

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

function throwsNaming(fn, pattern) {
  try {
    fn();
  } catch (err) {
    expect(pattern.test(err.message), `wrong message: ${err.message}`);
    return;
  }
  throw new Error(`no error (expected ${pattern})`);
}

/** Every .ts file below `dir`. */
function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(`${dir}/${d.name}`) : d.name.endsWith('.ts') ? [`${dir}/${d.name}`] : []);
}

export const buildTests = [
  {
    name: 'errors: the library and the elements throw CnnErrors (or subclasses), never a bare Error, TypeError or RangeError',
    async run() {
      const bare = /\bthrow new (Error|TypeError|RangeError|SyntaxError)\(/;
      const found = [];
      for (const f of [...tsFiles('src'), ...tsFiles('components')]) {
        readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
          if (bare.test(line)) found.push(`${f}:${i + 1}`);
        });
      }
      expect(found.length === 0, `bare errors thrown at ${found.join(', ')}`);
    },
  },
  {
    name: 'src/version.ts holds package.json\'s version (autotuning results are stored under it)',
    async run() {
      const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
      const src = readFileSync('src/version.ts', 'utf8');
      expect(src.includes(`export const VERSION = '${pkg.version}';`), `src/version.ts does not say ${pkg.version}: ${src}`);
    },
  },
  {
    name: 'wgsl modules: every shader reflects at build time; bindings by name with read/read_write, uniform layouts by field',
    async run() {
      const files = readdirSync('shaders').filter((f) => f.endsWith('.wgsl'));
      expect(files.length >= 15, `${files.length} shaders`);
      const read = (f) => expandIncludes(`shaders/${f}`, readFileSync(`shaders/${f}`, 'utf8'));
      for (const f of files) {
        const entries = reflectWgsl(f, read(f));
        expect(Object.keys(entries).length > 0, `${f}: no compute entry point`);
      }
      // pool_grad.wgsl takes its uniforms from an include.
      const pool = reflectWgsl('pool_grad.wgsl', read('pool_grad.wgsl')).max_pool_grad_scatter;
      expect(pool.storage.x === 1 && pool.storage.dy === 2 && pool.storage.dx === 3, `bindings ${JSON.stringify(pool.storage)}`);
      expect(pool.readOnly.includes(1) && pool.readOnly.includes(2) && !pool.readOnly.includes(3), `read-only ${pool.readOnly}`);
      expect(pool.uniform.binding === 0 && pool.uniform.fields.find((f) => f.name === 'chunks')?.scalar === 'i32', 'the uniform layout');
      const mod = wgslModuleSource('shaders/pool.wgsl', readFileSync('shaders/pool.wgsl', 'utf8'));
      expect(mod.startsWith('export default {"code":'), 'the module exports { code, entries }');
    },
  },
  {
    name: 'wgsl modules: a binding outside group 0, an unsupported uniform field or a missing include fails the build, naming the file',
    async run() {
      throwsNaming(() => expandIncludes('shaders/x.wgsl', '// #include "include/nothing_here.wgsl"\n'), /x\.wgsl: #include "include\/nothing_here\.wgsl": no such file/);
      const twice = expandIncludes('shaders/x.wgsl', '// #include "include/pool_window.wgsl"\n// #include "include/pool_window.wgsl"\n');
      expect(twice.split('struct Params').length === 2, 'an include repeated in one file goes in once');
      const body = '@compute @workgroup_size(1) fn main() { y[0] = p.a; }';
      throwsNaming(() => reflectWgsl('bad_group.wgsl', `@group(1) @binding(0) var<storage, read_write> y: array<f32>; struct P { a: f32 } @group(0) @binding(1) var<uniform> p: P; ${body}`), /bad_group\.wgsl: main binds y outside group 0/);
      throwsNaming(() => reflectWgsl('bad_uniform.wgsl', `@group(0) @binding(0) var<storage, read_write> y: array<f32>; struct P { a: f32, m: mat3x3<f32> } @group(0) @binding(1) var<uniform> p: P; ${body}`), /bad_uniform\.wgsl: uniform field m has unsupported type/);
    },
  },
];
