// Builds dist/cnn-webgpu.js (the engine: no DOM, no Lit) and dist/cnn-webgpu-elements.js (the Lit
// elements with the engine inside: one <script type="module"> registers them all), and their type
// declarations in dist/types/ (tsconfig.build.json), which the package's `types` and `exports` name.
// With --serve, also builds the benchmark page's bundle (dist/bench/) and serves demo/ on localhost.
// With --check-types (npm pack runs it), a type error fails the build instead of being reported.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { shared } from './tools/build-options.mjs';

export async function buildAll({ checkTypes = false } = {}) {
  const jobs = [build({ ...shared, entryPoints: ['src/index.ts'], outfile: 'dist/cnn-webgpu.js' })];
  if (existsSync('components/index.ts')) {
    jobs.push(build({ ...shared, platform: 'browser', entryPoints: ['components/index.ts'], outfile: 'dist/cnn-webgpu-elements.js' }));
  }
  jobs.push(buildTypes({ checkTypes }));
  await Promise.all(jobs);
}

/**
 * Emits the declarations with the project's TypeScript. esbuild never type-checks, so by default a
 * type error is printed and the build goes on (the declarations are still written); what a
 * consumer compiles against is checked by test/e2e/package_checks.mjs.
 */
async function buildTypes({ checkTypes }) {
  rmSync('dist/types', { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const { code, output } = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--pretty', 'false'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
  const missing = ['dist/types/src/index.d.ts', 'dist/types/components/index.d.ts'].filter((f) => !existsSync(f));
  if (code === 0 && missing.length === 0) return;
  const errors = output.split('\n').filter((l) => / error TS\d+/.test(l));
  const summary = `type declarations (tsconfig.build.json): ${errors.length} type error(s)${missing.length ? `, ${missing.join(' and ')} not written` : ''}`;
  const detail = (errors.length ? errors : output.trim().split('\n')).slice(0, 10).map((l) => `  ${l}`).join('\n');
  if (checkTypes || missing.length) throw new Error(`${summary}\n${detail}`);
  console.warn(`warning: ${summary}; the declarations were written anyway\n${detail}`);
}

const serve = process.argv.includes('--serve');
if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll({ checkTypes: process.argv.includes('--check-types') });
  console.log('built dist/');
  if (serve) {
    // demo/bench.html needs the benchmark bundle (with its TF.js, jax-js and ONNX Runtime baselines).
    const { buildBench } = await import('./bench/build.mjs');
    await buildBench({ quiet: true });
    const { startDemoServer } = await import('./tools/demo-server.mjs');
    const { url } = await startDemoServer({ port: Number(process.env.PORT ?? 8080) });
    console.log(`cnn-webgpu demo: ${url}`);
  }
}
