/**
 * A `.wgsl` file imported as its source plus its reflection, made at build time by
 * tools/wgsl-module.mjs (esbuild's plugin; the test runner's wgsl plugin). The type lives in
 * src/gpu/shader.ts, so that no published declaration refers to a global.
 */
declare module '*.wgsl' {
  const module: import('../src/gpu/shader.js').WgslModule;
  export default module;
}
