/**
 * A `.wgsl` file imported as its source plus its reflection, made at build time by
 * tools/wgsl-module.mjs (esbuild's plugin; the test runner's wgsl plugin).
 */
interface CnnWgslModule {
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

declare module '*.wgsl' {
  const module: CnnWgslModule;
  export default module;
}
