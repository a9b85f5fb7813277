// Bundles the benchmark for the browser: the runner page `npm run bench` drives and the
// <cnn-kernel-bench> element (demo/bench.html), into dist/bench/. Code splitting keeps each
// baseline (TF.js, jax-js, ONNX Runtime Web) in its own chunk, loaded only when it is benchmarked;
// ONNX Runtime's WebAssembly runtime is copied to dist/bench/ort/, where the element looks for it.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { shared } from '../tools/build-options.mjs';

export const BENCH_OUT = 'dist/bench';
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

export async function buildBench({ quiet = false } = {}) {
  rmSync(`${BENCH_OUT}/chunks`, { recursive: true, force: true });
  await build({
    ...shared,
    platform: 'browser',
    mainFields: ['browser', 'module', 'main'],
    splitting: true,
    entryPoints: { runner: 'bench/runner.ts', 'cnn-kernel-bench': 'components/cnn-kernel-bench.ts' },
    outdir: BENCH_OUT,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: quiet ? 'error' : 'warning',
  });
  mkdirSync(`${BENCH_OUT}/ort`, { recursive: true });
  for (const f of ORT_FILES) {
    const from = `node_modules/onnxruntime-web/dist/${f}`;
    const to = `${BENCH_OUT}/ort/${f}`;
    if (!existsSync(to) || statSync(to).size !== statSync(from).size) copyFileSync(from, to);
  }
}

export const BENCH_NODE_OUT = 'dist/bench-node.js';

/**
 * The suite for Node.js with Dawn (bench/node.ts) as one file: the `webgpu` package stays outside
 * (a native addon, found through NODE_PATH where node_modules is absent, as on the GPU machine).
 */
export async function buildBenchNode({ quiet = false } = {}) {
  await build({
    ...shared,
    platform: 'node',
    mainFields: ['module', 'main'],
    entryPoints: ['bench/node.ts'],
    outfile: BENCH_NODE_OUT,
    external: ['webgpu'],
    // Some baselines' CommonJS code calls require(); give the ES module one.
    banner: { js: "import { createRequire as __cnnRequire } from 'node:module'; const require = __cnnRequire(import.meta.url);" },
    logLevel: quiet ? 'error' : 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildBench();
  console.log(`built ${BENCH_OUT}/runner.js and ${BENCH_OUT}/cnn-kernel-bench.js`);
}
