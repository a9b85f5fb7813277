/**
 * ONNX Runtime Web (WebAssembly, one thread) as the oracle for the ONNX importer: the same file
 * runs in both, in the same page, and every tensor ORT returns (the fixtures list each node's
 * output as a graph output) is compared with the layer of that name, put back in ONNX's layout.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { Engine } from '../../../src/engine.js';
import type { Model } from '../../../src/nn/model.js';
import { SeededRandom } from '../../../src/nn/random.js';

// The bundle carries its JavaScript glue; only the .wasm binary is fetched (the glue module, served
// through the test runner's resolver, would not load).
ort.env.wasm.wasmPaths = { wasm: '/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm' };
ort.env.wasm.numThreads = 1;

export const FIXTURES = '/test/fixtures/onnx/';

export async function fixtureBytes(name: string): Promise<Uint8Array> {
  const res = await fetch(`${FIXTURES}${name}`);
  if (!res.ok) throw new Error(`fixture ${name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export function randomInput(shape: readonly number[], seed = 1): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1);
}

/** [n, c, h, w] values to [n, h, w, c]. */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++) for (let ci = 0; ci < c!; ci++) for (let y = 0; y < h!; y++) for (let xi = 0; xi < w!; xi++) {
    out[((b * h! + y) * w! + xi) * c! + ci] = x[((b * c! + ci) * h! + y) * w! + xi]!;
  }
  return out;
}

/** [n, h, w, c] values (ONNX shape [n, c, h, w]) to [n, c, h, w]. */
export function nhwcToNchw(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++) for (let ci = 0; ci < c!; ci++) for (let y = 0; y < h!; y++) for (let xi = 0; xi < w!; xi++) {
    out[((b * c! + ci) * h! + y) * w! + xi] = x[((b * h! + y) * w! + xi) * c! + ci]!;
  }
  return out;
}

/**
 * A layer's output in ONNX's layout and order: 4-D outputs come NHWC, flattened feature maps in
 * NHWC column order (the layer's config says which), everything else as ONNX has it.
 */
export function toOnnxOrder(model: Model, name: string, data: Float32Array, batch: number): Float32Array {
  const config = model.layer(name).config;
  const shape = [batch, ...(config.onnx_shape as number[]).slice(1)];
  const flat = config.flat_order as { c: number; h: number; w: number } | undefined;
  if (flat) {
    const out = new Float32Array(data.length);
    const k = flat.c * flat.h * flat.w;
    for (let b = 0; b < batch; b++) for (let j = 0; j < k; j++) {
      const c = j % flat.c;
      out[b * k + c * flat.h * flat.w + (j - c) / flat.c] = data[b * k + j]!;
    }
    return out;
  }
  return shape.length === 4 ? nhwcToNchw(data, shape) : data;
}

/** max |a − b| over max |b| (so 1e-4 means agreement to about 4 digits of the tensor's scale). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-6);
}

export interface OrtResult {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

/** Runs the model in ONNX Runtime Web on one NCHW input; every output by name. */
export async function runOrt(bytes: Uint8Array, input: Float32Array, shape: readonly number[], externalData?: { path: string; data: Uint8Array }[]): Promise<Map<string, OrtResult>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], externalData });
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, shape) };
    const out = await session.run(feeds);
    const results = new Map<string, OrtResult>();
    for (const name of session.outputNames) {
      const t = out[name]!;
      // Shape arithmetic the fixtures expose (int64) has no layer to compare with.
      if (t.type !== 'float32') continue;
      results.set(name, { name, dims: t.dims, data: t.data as Float32Array });
    }
    return results;
  } finally {
    await session.release();
  }
}

/**
 * ORT's outputs for a batch: one run, or one run per example (concatenated) for a file whose
 * batch dim is fixed at 1, which our model runs at any batch.
 */
async function runOrtPerExample(bytes: Uint8Array, input: Float32Array, shape: readonly number[], externalData?: { path: string; data: Uint8Array }[]): Promise<Map<string, OrtResult>> {
  try {
    return await runOrt(bytes, input, shape, externalData);
  } catch (e) {
    if (shape[0] === 1 || !/invalid dimensions/.test(String(e))) throw e;
  }
  const n = shape[0]!;
  const per = input.length / n;
  const runs: Map<string, OrtResult>[] = [];
  for (let b = 0; b < n; b++) runs.push(await runOrt(bytes, input.slice(b * per, (b + 1) * per), [1, ...shape.slice(1)], externalData));
  const out = new Map<string, OrtResult>();
  for (const [name, first] of runs[0]!) {
    const data = new Float32Array(first.data.length * n);
    runs.forEach((r, b) => data.set(r.get(name)!.data, b * first.data.length));
    out.set(name, { name, dims: [n, ...first.dims.slice(1)], data });
  }
  return out;
}

export interface Comparison {
  name: string;
  error: number;
}

/**
 * Runs `model` on the engine and the file in ORT on the same input, and returns the relative
 * error of every output ORT gives that the model has a layer for.
 */
export async function compareWithOrt(engine: Engine, model: Model, bytes: Uint8Array, shape: readonly number[], seed = 1, externalData?: { path: string; data: Uint8Array }[]): Promise<Comparison[]> {
  const input = randomInput(shape, seed);
  const ortOut = await runOrtPerExample(bytes, input, shape, externalData);
  const x = engine.tensor(shape.length === 4 ? nchwToNhwc(input, shape) : input, shape.length === 4 ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!] : shape);
  const acts = model.run(x);
  try {
    const out: Comparison[] = [];
    for (const [name, ref] of ortOut) {
      const t = acts.outputs.get(name);
      if (!t) continue;
      const ours = toOnnxOrder(model, name, await t.read(), shape[0]!);
      out.push({ name, error: relError(ours, ref.data) });
    }
    return out;
  } finally {
    acts.dispose();
    x.dispose();
  }
}
