/**
 * Whole-network forward passes on each engine, all loading the same file: ours and ONNX Runtime
 * Web (WebGPU and wasm execution providers) the same .onnx, ours and TF.js (WebGPU and CPU) the
 * same model.json. Each `run` is one inference call with its output freed; `output` reads back what
 * the engines are compared on (an ONNX network's logits before its softmax, a model.json's output).
 * `memory` makes one more call while watching what the engine holds.
 */
import type * as ORT from 'onnxruntime-web/webgpu';
import type * as TF from '@tensorflow/tfjs-core';
import { CnnError, loadLayersModel, loadOnnxModel, type Engine, type Model, type Tensor } from '../../src/index.js';
import { nhwcToNchw } from '../data.js';
import type { TfLayers } from '../engines/tfjs.js';
import type { MemoryReport, ModelCase, ModelEngine, PreparedModel } from './types.js';

const OP = 'model bench';

/**
 * The tensor an ONNX row compares: the logits the landmark's NAME.json names (the input of its
 * final softmax, which tools/onnx/landmarks.py adds as an output), else the graph's own output.
 */
export async function comparedOutput(c: ModelCase, base: string): Promise<string | null> {
  if (c.format !== 'onnx' || !c.output) return null;
  const res = await fetch(new URL(c.url.replace(/\.onnx$/, '.json'), base)).catch(() => null);
  if (!res?.ok) return null;
  const meta = (await res.json()) as { logits?: string };
  return meta.logits ?? null;
}

/** What an engine holds now, and the most it held while `call` ran (observed at every dispatch). */
export function oursMemory(e: Engine, call: () => void): MemoryReport {
  let peak = e.memory().bytes;
  const stop = e.observeDispatches(() => {
    peak = Math.max(peak, e.memory().bytes);
  });
  try {
    call();
  } finally {
    stop();
  }
  const m = e.memory();
  return { heldBytes: m.bytes, peakBytes: Math.max(peak, m.bytes), pooledBytes: m.pooledBytes, note: 'gpu' };
}

/** Our engine on either file: `Model.predict`, as a page runs inference (intermediates freed as it goes). */
export function oursModelEngine(e: Engine, base: string): ModelEngine {
  return {
    id: 'cnn-webgpu',
    label: 'cnn-webgpu',
    gpu: true,
    unsupported: (c) => (c.kind === 'forward' ? null : 'forward rows only'),
    async prepare(c, xs) {
      const url = new URL(c.url, base).href;
      const model: Model = c.format === 'onnx' ? await loadOnnxModel(e, url) : await loadLayersModel(e, url);
      const logits = await comparedOutput(c, base);
      const x = e.tensor(xs, c.x);
      const run = () => model.predict(x).dispose();
      return {
        run,
        sync: () => e.sync(),
        async output() {
          if (!logits) {
            const y = model.predict(x);
            try {
              return await y.read();
            } finally {
              y.dispose();
            }
          }
          const acts = model.run(x);
          try {
            const t: Tensor | undefined = acts.outputs.get(logits);
            if (!t) throw new CnnError(OP, `${c.url} has no layer '${logits}'`);
            return await t.read();
          } finally {
            acts.dispose();
          }
        },
        memory: async () => {
          await e.sync();
          return oursMemory(e, run);
        },
        dispose: () => {
          x.dispose();
          model.dispose();
        },
      };
    },
    dispose: () => undefined,
  };
}

type Ort = typeof ORT;

/**
 * ONNX Runtime Web on the same .onnx file. WebGPU: the input in a GPU buffer on ORT's device and the
 * outputs left there, so the loop neither uploads nor reads back; wasm: CPU tensors.
 */
export function ortModelEngine(ort: Ort, ep: 'webgpu' | 'wasm', base: string): ModelEngine {
  return {
    id: `ort-${ep}`,
    label: ep === 'webgpu' ? 'ORT Web WebGPU' : 'ORT Web wasm',
    gpu: ep === 'webgpu',
    unsupported: (c) => (c.kind !== 'forward' ? 'forward rows only' : c.format === 'onnx' ? null : 'the TF.js networks have no .onnx file here'),
    async prepare(c, xs) {
      const session = await ort.InferenceSession.create(new URL(c.url, base).href, {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        ...(ep === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
      });
      const [n, h, w, ch] = c.x;
      const dims = [n, ch, h, w];
      const data = nhwcToNchw(xs, c.x);
      const input = session.inputNames[0]!;
      const logits = await comparedOutput(c, base);
      const fetches = [logits ?? session.outputNames[0]!];
      let buffer: GPUBuffer | null = null;
      let device: GPUDevice | null = null;
      let feed: ORT.Tensor;
      if (ep === 'webgpu') {
        device = (await ort.env.webgpu.device) as GPUDevice;
        buffer = device.createBuffer({ label: 'model bench ort input', size: Math.ceil(data.byteLength / 16) * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(buffer, 0, data);
        feed = ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
      } else {
        feed = new ort.Tensor('float32', data, dims);
      }
      const feeds = { [input]: feed };
      return {
        run: async () => {
          const out = await session.run(feeds, fetches);
          for (const t of Object.values(out)) t.dispose();
        },
        sync: async () => {
          await device?.queue.onSubmittedWorkDone();
        },
        async output() {
          const out = await session.run(feeds, fetches);
          const t = out[fetches[0]!]!;
          const v = Float32Array.from((await t.getData(true)) as Float32Array);
          for (const o of Object.values(out)) if (o !== t) o.dispose();
          return v;
        },
        memory: async () => ({ heldBytes: null, peakBytes: null, note: 'ONNX Runtime Web does not report its memory' }),
        dispose: () => {
          void session.release();
          buffer?.destroy();
        },
      };
    },
    dispose: () => undefined,
  };
}

type Tf = typeof TF;

interface WebGpuBackendish {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Flushes TF.js's WebGPU command encoder and waits for the queue (nothing to wait for on CPU). */
export async function tfSync(tf: Tf, backend: string): Promise<void> {
  if (backend !== 'webgpu') return;
  const b = tf.findBackend(backend) as unknown as WebGpuBackendish;
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}

/** Makes `backend` TF.js's current one (the engines interleave; TF.js's backend is global). */
export function tfUse(tf: Tf, backend: string): void {
  if (tf.getBackend() !== backend) void tf.setBackend(backend);
}

/** What TF.js holds (GPU bytes on WebGPU, main-memory bytes on CPU) and its peak during `call`. */
export async function tfMemory(tf: Tf, backend: string, call: () => unknown): Promise<MemoryReport> {
  const info = await tf.profile(async () => {
    await call();
  });
  await tfSync(tf, backend);
  const m = tf.memory() as TF.MemoryInfo & { numBytesInGPU?: number; numBytesInGPUAllocated?: number };
  const gpu = backend === 'webgpu';
  return {
    heldBytes: gpu ? m.numBytesInGPU ?? null : m.numBytes,
    // tf.profile's peak: the most tensor bytes alive at once (what was held before included).
    peakBytes: info.peakBytes,
    pooledBytes: gpu && m.numBytesInGPUAllocated != null && m.numBytesInGPU != null ? m.numBytesInGPUAllocated - m.numBytesInGPU : null,
    note: gpu ? 'gpu' : 'cpu (main memory)',
  };
}

/** TF.js on the same model.json: `tf.loadLayersModel` and `model.predict`, the way a TF.js page runs it. */
export function tfjsModelEngine(tf: Tf, backend: 'webgpu' | 'cpu', layers: () => Promise<TfLayers>, base: string): ModelEngine {
  return {
    id: `tfjs-${backend}`,
    label: backend === 'webgpu' ? 'TF.js WebGPU' : 'TF.js CPU',
    gpu: backend === 'webgpu',
    unsupported: (c) => (c.kind !== 'forward' ? 'forward rows here (training rows have their own adapter)' : c.format === 'tfjs' ? null : 'TF.js has no ONNX loader'),
    async prepare(c, xs) {
      tfUse(tf, backend);
      await tf.ready();
      const model = await (await layers()).loadLayersModel(new URL(c.url, base).href);
      const x = tf.tensor(xs, c.x);
      const call = () => model.predict(x) as TF.Tensor;
      const run = () => {
        tfUse(tf, backend);
        tf.tidy(() => {
          call();
        });
      };
      return {
        run,
        sync: () => tfSync(tf, backend),
        async output() {
          tfUse(tf, backend);
          const y = tf.tidy(call);
          try {
            return Float32Array.from(await y.data());
          } finally {
            y.dispose();
          }
        },
        memory: () => {
          tfUse(tf, backend);
          return tfMemory(tf, backend, run);
        },
        dispose: () => {
          x.dispose();
          model.dispose();
        },
      };
    },
    dispose: () => undefined,
  };
}

export type { PreparedModel };
