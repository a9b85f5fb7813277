// A `.wgsl` file as an ES module, for every bundle (esbuild) and the test runner: its source and
// what wgsl_reflect finds in it (each compute entry point's bindings by name and its uniform
// struct's layout). Reflecting here, at build time, keeps the parser (about 300 KB) and its work out
// of the page; src/gpu/shader.ts reads the result. A shader that binds outside group 0 or has a
// uniform field of another type than f32/i32/u32 (or vectors of them) fails the build, naming it.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';

/** `vec4u`, `vec2f`, `u32`… to the scalar type. */
function scalarOf(typeName) {
  const short = /^vec[234]([fiu])$/.exec(typeName);
  if (short) return { f: 'f32', i: 'i32', u: 'u32' }[short[1]];
  return typeName;
}

function uniformFields(file, v) {
  if (!v.members) throw new Error(`${file}: uniform ${v.name} must be a struct`);
  return v.members.map((m) => {
    // vec2<f32>-style templates and the vec4u-style aliases; not matrices (their columns are padded).
    const scalar = m.isTemplate ? (/^vec[234]$/.test(m.type.name) ? (m.format?.name ?? '') : '') : scalarOf(m.type.name);
    if (!['f32', 'i32', 'u32'].includes(scalar)) throw new Error(`${file}: uniform field ${m.name} has unsupported type ${m.type.name}`);
    return { name: m.name, offset: m.offset, scalar, count: m.size / 4 };
  });
}

/** Per compute entry point: workgroup size, storage bindings by name, the read-only ones, the uniform. */
export function reflectWgsl(file, code) {
  const r = new WgslReflect(code);
  const entries = {};
  for (const fn of r.entry.compute) {
    const storage = {};
    const readOnly = [];
    let uniform = null;
    for (const res of fn.resources) {
      if (res.group !== 0) throw new Error(`${file}: ${fn.name} binds ${res.name} outside group 0`);
      if (res.resourceType === ResourceType.Storage) {
        storage[res.name] = res.binding;
        if (res.access === 'read') readOnly.push(res.binding);
      } else if (res.resourceType === ResourceType.Uniform) {
        uniform = { binding: res.binding, size: res.size, fields: uniformFields(file, res) };
      }
    }
    const wg = fn.workgroupSize ?? [1, 1, 1];
    entries[fn.name] = { workgroupSize: [wg[0], wg[1], wg[2]], storage, readOnly, uniform };
  }
  return entries;
}

const INCLUDE = /^\/\/ #include "([^"]+)"$/gm;

/**
 * WGSL has no includes: a line `// #include "dir/file.wgsl"` (relative to the including file) is
 * replaced by that file's text, so kernels that share uniforms and index helpers keep one copy.
 * Each file goes in once; a cycle or a missing file fails, naming both files.
 */
export function expandIncludes(path, code, seen = new Set([path])) {
  return code.replace(INCLUDE, (_, rel) => {
    const target = join(dirname(path), rel);
    if (seen.has(target)) return `// (${rel} is already included)`;
    seen.add(target);
    let text;
    try {
      text = readFileSync(target, 'utf8');
    } catch {
      throw new Error(`${basename(path)}: #include "${rel}": no such file (${target})`);
    }
    return expandIncludes(target, text, seen);
  });
}

/** The module's JavaScript: `export default { code, entries }`, includes expanded. */
export function wgslModuleSource(path, code) {
  const full = expandIncludes(path, code);
  return `export default ${JSON.stringify({ code: full, entries: reflectWgsl(basename(path), full) })};\n`;
}

/** esbuild: `.wgsl` imports become wgslModuleSource modules. */
export const wgslEsbuildPlugin = {
  name: 'wgsl-reflected',
  setup(build) {
    build.onLoad({ filter: /\.wgsl$/ }, async (args) => {
      try {
        return { contents: wgslModuleSource(args.path, await readFile(args.path, 'utf8')), loader: 'js', watchFiles: [args.path] };
      } catch (err) {
        return { errors: [{ text: err instanceof Error ? err.message : String(err) }] };
      }
    });
  },
};
