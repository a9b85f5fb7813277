/**
 * A WGSL module and what reflection tells about it: which resources each entry point binds, by
 * name, and the byte layout of its uniform struct. Ops address bindings and uniform fields by the
 * names the WGSL gives them, so no byte offset is ever counted by hand.
 */
import { ResourceType, WgslReflect, type VariableInfo } from 'wgsl_reflect';

export interface UniformField {
  name: string;
  offset: number;
  /** 'f32', 'i32' or 'u32' */
  scalar: string;
  /** Number of scalars (1 for a scalar, 2–4 for a vector). */
  count: number;
}

export interface EntryPoint {
  name: string;
  workgroupSize: [number, number, number];
  /** Storage bindings of group 0 by variable name. */
  storage: Map<string, number>;
  /** The storage bindings declared `read` (the rest are `read_write`). */
  readOnly: Set<number>;
  /** The uniform binding, when the entry point reads one. */
  uniform: { binding: number; size: number; fields: UniformField[] } | null;
}

export class Shader {
  private reflected: Map<string, EntryPoint> | null = null;

  constructor(
    /** The file's base name, e.g. `conv2d`; it names pipelines and labels. */
    readonly name: string,
    readonly code: string,
    /** What this compilation of the file was specialised for (e.g. `lanes=4`); part of the pipeline key. */
    readonly variant = '',
  ) {}

  /** The file name plus the variant: unique per compiled source. */
  get key(): string {
    return this.variant ? `${this.name}<${this.variant}>` : this.name;
  }

  entry(entryName: string): EntryPoint {
    this.reflected ??= reflect(this.name, this.code);
    const ep = this.reflected.get(entryName);
    if (!ep) throw new Error(`cnn-webgpu: shaders/${this.name}.wgsl has no compute entry point '${entryName}'`);
    return ep;
  }
}

function reflect(name: string, code: string): Map<string, EntryPoint> {
  const r = new WgslReflect(code);
  const out = new Map<string, EntryPoint>();
  for (const fn of r.entry.compute) {
    const storage = new Map<string, number>();
    const readOnly = new Set<number>();
    let uniform: EntryPoint['uniform'] = null;
    for (const res of fn.resources as VariableInfo[]) {
      if (res.group !== 0) throw new Error(`cnn-webgpu: shaders/${name}.wgsl binds ${res.name} outside group 0`);
      if (res.resourceType === ResourceType.Storage) {
        storage.set(res.name, res.binding);
        if (res.access === 'read') readOnly.add(res.binding);
      }
      else if (res.resourceType === ResourceType.Uniform) uniform = { binding: res.binding, size: res.size, fields: uniformFields(name, res) };
    }
    const wg = fn.workgroupSize ?? [1, 1, 1];
    out.set(fn.name, { name: fn.name, workgroupSize: [wg[0], wg[1], wg[2]], storage, readOnly, uniform });
  }
  return out;
}

function uniformFields(shader: string, v: VariableInfo): UniformField[] {
  const members = v.members;
  if (!members) throw new Error(`cnn-webgpu: shaders/${shader}.wgsl: uniform ${v.name} must be a struct`);
  return members.map((m) => {
    const typeName = m.type.name;
    const scalar = m.isTemplate ? (m.format?.name ?? '') : scalarOf(typeName);
    if (!['f32', 'i32', 'u32'].includes(scalar)) {
      throw new Error(`cnn-webgpu: shaders/${shader}.wgsl: uniform field ${m.name} has unsupported type ${typeName}`);
    }
    return { name: m.name, offset: m.offset, scalar, count: m.size / 4 };
  });
}

/** `vec4u`, `vec2f`, `u32`… to the scalar type. */
function scalarOf(typeName: string): string {
  const short = /^vec[234]([fiu])$/.exec(typeName);
  if (short) return { f: 'f32', i: 'i32', u: 'u32' }[short[1] as 'f' | 'i' | 'u'];
  return typeName;
}

export type UniformValues = Record<string, number | readonly number[]>;

/** Writes `values` into `target` at `base` following the reflected layout; every field must be given. */
export function packUniforms(shader: string, entry: EntryPoint, values: UniformValues, target: DataView, base: number): void {
  const layout = entry.uniform;
  if (!layout) return;
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new Error(`cnn-webgpu: ${shader}.${entry.name}: uniform field '${f.name}' was not given`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== f.count) throw new Error(`cnn-webgpu: ${shader}.${entry.name}: uniform field '${f.name}' needs ${f.count} values, got ${arr.length}`);
    for (let i = 0; i < f.count; i++) {
      const at = base + f.offset + i * 4;
      if (f.scalar === 'f32') target.setFloat32(at, arr[i]!, true);
      else if (f.scalar === 'i32') target.setInt32(at, arr[i]!, true);
      else target.setUint32(at, arr[i]!, true);
    }
  }
}
