/**
 * ONNX Runtime Web's WebGPU execution provider as a baseline, forward only (it cannot train on
 * WebGPU). Each case becomes a one-node ONNX model (bench/onnx/model.ts) with its weights as
 * initializers; the input lives in a GPU buffer on ORT's own device and outputs stay on the GPU
 * (`preferredOutputLocation: 'gpu-buffer'`), so the timed loop neither uploads nor reads back.
 * Layouts are ONNX's NCHW / OIHW, converted once outside the loop.
 */
import type * as ORT from 'onnxruntime-web/webgpu';
import { explicitPads, windowOutShape } from '../cases.js';
import { hwioToOihw, nchwToNhwc, nhwcToNchw } from '../data.js';
import { oneNodeModel, type OneNodeModel } from '../onnx/model.js';
import type { BenchCase, BenchEngine, CaseInputs, PreparedCase } from '../types.js';

type Ort = typeof ORT;

const FORWARD = new Set(['conv2d', 'depthwiseConv2d', 'maxPool', 'avgPool', 'matMul', 'convLayer', 'denseLayer']);

export async function createOrtEngine(ort: Ort, wasmPaths?: string): Promise<BenchEngine> {
  if (wasmPaths) ort.env.wasm.wasmPaths = wasmPaths;
  // Threads need a cross-origin-isolated page; the WebGPU work does not depend on them.
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  return {
    id: 'ort-webgpu',
    label: 'ORT Web WebGPU',
    gpu: true,
    unsupported: (c) => {
      if (c.spec.kind === 'model' || c.spec.kind === 'explain') return 'the models are TF.js layers models; there is no ONNX export of them here';
      return FORWARD.has(c.family) ? null : 'ONNX Runtime Web runs inference only (no gradients or training on WebGPU)';
    },
    prepare: (c, inputs) => prepare(ort, c, inputs),
    dispose: () => undefined,
  };
}

const nchwShape = ([n, h, w, c]: readonly number[]) => [n!, c!, h!, w!];

/** The model, its input in ONNX layout, and how its output maps back to the canonical layout. */
function describe(c: BenchCase, inputs: CaseInputs): { model: OneNodeModel; x: Float32Array; back: (o: Float32Array) => Float32Array } {
  const s = c.spec;
  if (s.kind === 'conv') {
    const [t, b, l, r] = explicitPads(s);
    const y = windowOutShape(s);
    const wShape = s.depthwise ? [s.w[2] * s.w[3], 1, s.w[0], s.w[1]] : [s.w[3], s.w[2], s.w[0], s.w[1]];
    // A conv layer: Conv's own bias input B, then a Relu node.
    const layer = c.family === 'convLayer';
    return {
      model: {
        op: 'Conv',
        attrs: { kernel_shape: [s.w[0], s.w[1]], strides: s.strides, pads: [t, l, b, r], dilations: [1, 1], group: s.depthwise ? s.x[3] : 1 },
        input: { name: 'x', shape: nchwShape(s.x) },
        initializers: [
          { name: 'w', shape: wShape, data: hwioToOihw(inputs.w!.data, s.w, s.depthwise) },
          ...(layer ? [{ name: 'b', shape: [s.w[3]], data: inputs.bias!.data }] : []),
        ],
        output: { name: 'y', shape: nchwShape(y) },
        relu: layer,
      },
      x: nhwcToNchw(inputs.x!.data, s.x),
      back: (o) => nchwToNhwc(o, y),
    };
  }
  if (s.kind === 'pool') {
    const [t, b, l, r] = explicitPads(s);
    const y = windowOutShape(s);
    const attrs: Record<string, number | number[]> = { kernel_shape: [...s.filterSize], strides: [...s.strides], pads: [t, l, b, r] };
    if (c.family === 'avgPool') attrs.count_include_pad = 0;
    return {
      model: { op: c.family === 'maxPool' ? 'MaxPool' : 'AveragePool', attrs, input: { name: 'x', shape: nchwShape(s.x) }, initializers: [], output: { name: 'y', shape: nchwShape(y) } },
      x: nhwcToNchw(inputs.x!.data, s.x),
      back: (o) => nchwToNhwc(o, y),
    };
  }
  if (s.kind === 'matmul' && c.family === 'denseLayer') {
    // A dense layer: Gemm with its bias input C, then a Relu node.
    return {
      model: {
        op: 'Gemm', attrs: {}, input: { name: 'x', shape: [s.m, s.k] },
        initializers: [{ name: 'w', shape: [s.k, s.n], data: inputs.b!.data }, { name: 'b', shape: [s.n], data: inputs.bias!.data }],
        output: { name: 'y', shape: [s.m, s.n] },
        relu: true,
      },
      x: inputs.a!.data,
      back: (o) => o,
    };
  }
  if (s.kind === 'matmul') {
    return {
      model: {
        op: 'MatMul', attrs: {}, input: { name: 'x', shape: [s.m, s.k] },
        initializers: [{ name: 'w', shape: [s.k, s.n], data: inputs.b!.data }], output: { name: 'y', shape: [s.m, s.n] },
      },
      x: inputs.a!.data,
      back: (o) => o,
    };
  }
  throw new Error('ONNX Runtime Web: no training step or model rows');
}

async function prepare(ort: Ort, c: BenchCase, inputs: CaseInputs): Promise<PreparedCase> {
  const { model, x, back } = describe(c, inputs);
  const session = await ort.InferenceSession.create(oneNodeModel(model), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
    graphOptimizationLevel: 'all',
  });
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const buffer = device.createBuffer({
    label: 'bench ort input', size: Math.ceil(x.byteLength / 16) * 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, x);
  const feeds = { x: ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: model.input.shape }) };
  return {
    run: async () => {
      const out = await session.run(feeds);
      out.y!.dispose();
    },
    sync: () => device.queue.onSubmittedWorkDone(),
    output: async () => {
      const out = await session.run(feeds);
      const data = (await out.y!.getData(true)) as Float32Array;
      return back(Float32Array.from(data));
    },
    dispose: () => {
      void session.release();
      buffer.destroy();
    },
  };
}
