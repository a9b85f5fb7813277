/**
 * A WGSL module and what reflection tells about it: which resources each entry point binds, by
 * name, and the byte layout of its uniform struct. Ops address bindings and uniform fields by the
 * names the WGSL gives them, so no byte offset is ever counted by hand.
 */
import { fail } from '../errors.js';

/**
 * What a `.wgsl` import gives: the source and its build-time reflection (tools/wgsl-module.mjs).
 * Declared here rather than as a global so that the published declarations need nothing beside them.
 */
export interface WgslModule {
  code: string;
  /** Per compute entry point. */
  entries: Record<string, {
    workgroupSize: [number, number, number];
    /** Storage bindings by variable name. */
    storage: Record<string, number>;
    /** The storage bindings declared `read`. */
    readOnly: number[];
    uniform: { binding: number; size: number; fields: { name: string; offset: number; scalar: string; count: number }[] } | null;
  }>;
}

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
  private sourceHash: string | null = null;
  /** The source compiled: the file's, after `prelude`. */
  readonly code: string;

  constructor(
    /** The file's base name, e.g. `conv2d`; it names pipelines and labels. */
    readonly name: string,
    private readonly module: WgslModule,
    /** What this compilation of the file was specialised for (e.g. `lanes=4`); part of the pipeline key. */
    readonly variant = '',
    /** Declarations put before the file's source (they may not change its bindings or uniforms). */
    prelude = '',
  ) {
    this.code = prelude + module.code;
  }

  /** A hash of the compiled source (FNV-1a, hex): what a stored tuning result was measured on. */
  get hash(): string {
    this.sourceHash ??= fnv1a(this.code);
    return this.sourceHash;
  }

  /** The file name plus the variant: unique per compiled source. */
  get key(): string {
    return this.variant ? `${this.name}<${this.variant}>` : this.name;
  }

  entry(entryName: string): EntryPoint {
    this.reflected ??= new Map(Object.entries(this.module.entries).map(([name, e]) => [name, {
      name,
      workgroupSize: e.workgroupSize,
      storage: new Map(Object.entries(e.storage)),
      readOnly: new Set(e.readOnly),
      uniform: e.uniform,
    }]));
    const ep = this.reflected.get(entryName);
    if (!ep) fail(`shaders/${this.name}.wgsl`, `has no compute entry point '${entryName}'`);
    return ep;
  }
}

export type UniformValues = Record<string, number | readonly number[]>;

/** Writes `values` into `target` at `base` following the reflected layout; every field must be given. */
export function packUniforms(shader: string, entry: EntryPoint, values: UniformValues, target: DataView, base: number): void {
  const layout = entry.uniform;
  if (!layout) return;
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) fail(`${shader}.${entry.name}`, `uniform field '${f.name}' was not given`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== f.count) fail(`${shader}.${entry.name}`, `uniform field '${f.name}' needs ${f.count} values, got ${arr.length}`);
    for (let i = 0; i < f.count; i++) {
      const at = base + f.offset + i * 4;
      if (f.scalar === 'f32') target.setFloat32(at, arr[i]!, true);
      else if (f.scalar === 'i32') target.setInt32(at, arr[i]!, true);
      else target.setUint32(at, arr[i]!, true);
    }
  }
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
