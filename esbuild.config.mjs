// Builds dist/cnn-webgpu.js (the engine: no DOM, no Lit) and dist/cnn-webgpu-elements.js (the Lit
// elements with the engine inside: one <script type="module"> registers them all).
// With --serve, also builds the benchmark page's bundle (dist/bench/) and serves demo/ on localhost.
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { shared } from './tools/build-options.mjs';

export async function buildAll() {
  const jobs = [build({ ...shared, entryPoints: ['src/index.ts'], outfile: 'dist/cnn-webgpu.js' })];
  if (existsSync('components/index.ts')) {
    jobs.push(build({ ...shared, platform: 'browser', entryPoints: ['components/index.ts'], outfile: 'dist/cnn-webgpu-elements.js' }));
  }
  await Promise.all(jobs);
}

const serve = process.argv.includes('--serve');
if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll();
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
