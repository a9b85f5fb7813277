/** A `.wgsl` file imported as its source text (esbuild's text loader; the test runner's wgsl plugin). */
declare module '*.wgsl' {
  const source: string;
  export default source;
}
