// esbuild options every bundle of the project shares (engine, elements, benchmark).
import { wgslEsbuildPlugin } from './wgsl-module.mjs';

export const shared = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  plugins: [wgslEsbuildPlugin],
  sourcemap: true,
  logLevel: 'warning',
};
