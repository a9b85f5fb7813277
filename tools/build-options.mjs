// esbuild options every bundle of the project shares (engine, elements, benchmark).
export const shared = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  logLevel: 'warning',
};
