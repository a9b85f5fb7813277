/**
 * Training rows: `Model.fit` itself on a preset of src/nn/presets.ts, against TF.js's
 * `model.fit` on the same layers (tf.layers, the same initial weights copied in, the same optimiser,
 * batch size and data, no shuffling). One call is one epoch of `steps` batches; the engines are
 * compared on the weights after one call from the same start.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { CnnError, presets, sequential, sgd, type Dataset, type Engine, type LayerSpec, type Model } from '../../src/index.js';
import type { MemoryReport, ModelCase, ModelEngine, PreparedModel } from './types.js';
import { tfMemory, tfSync, tfUse } from './forward.js';

const OP = 'model bench (training)';
const SEED = 3;

/** The row's data set: `images` seeded images in [0, 1] and one-hot labels. */
export function trainData(c: ModelCase, xs: Float32Array): Dataset {
  const [, h, w, ch] = c.x;
  const count = c.images;
  const y = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) y[i * 10 + ((i * 7 + 3) % 10)] = 1;
  return { count, xShape: [h, w, ch], classes: 10, x: xs, y };
}

function build(e: Engine, c: ModelCase): Model {
  const p = presets[c.url];
  if (!p) throw new CnnError(OP, `no preset '${c.url}' (presets: ${Object.keys(presets).join(', ')})`);
  return sequential(e, { inputShape: p.inputShape, layers: p.layers, seed: SEED, name: p.name });
}

async function readParams(m: Model): Promise<Float32Array[]> {
  return Promise.all(m.params().map((t) => t.read()));
}

function concat(parts: readonly ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What ours holds during an async call: the most live bytes seen at any dispatch. */
async function oursAsyncMemory(e: Engine, call: () => Promise<unknown>): Promise<MemoryReport> {
  await e.sync();
  let peak = e.memory().bytes;
  const stop = e.observeDispatches(() => {
    peak = Math.max(peak, e.memory().bytes);
  });
  try {
    await call();
  } finally {
    stop();
  }
  const m = e.memory();
  return { heldBytes: m.bytes, peakBytes: Math.max(peak, m.bytes), pooledBytes: m.pooledBytes, note: 'gpu' };
}

/** Ours: a Sequential model from the preset and `model.fit`. */
export function oursTrainEngine(e: Engine): ModelEngine {
  return {
    id: 'cnn-webgpu',
    label: 'cnn-webgpu',
    gpu: true,
    unsupported: (c) => (c.kind === 'train' ? null : 'training rows only'),
    async prepare(c, xs): Promise<PreparedModel> {
      const data = trainData(c, xs);
      const model = build(e, c);
      const opts = () => ({ optimizer: sgd({ learningRate: c.learningRate! }), epochs: 1, batchSize: c.x[0], shuffle: false, metricsEvery: 1_000_000 });
      const optimizer = opts();
      const run = async () => {
        await model.fit(data, optimizer);
      };
      return {
        run,
        sync: () => e.sync(),
        async output() {
          const fresh = build(e, c);
          try {
            await fresh.fit(data, opts());
            return concat(await readParams(fresh));
          } finally {
            fresh.dispose();
          }
        },
        memory: () => oursAsyncMemory(e, run),
        dispose: () => model.dispose(),
      };
    },
    dispose: () => undefined,
  };
}

type Tf = typeof TF;
type Tfl = typeof TFL;

/** The preset as tf.layers, in the same order (so getWeights matches our params). */
function tfLayersModel(tfl: Tfl, specs: readonly LayerSpec[], inputShape: readonly number[]): TFL.Sequential {
  const m = tfl.sequential();
  specs.forEach((s, i) => {
    const cfg = (s.config ?? {}) as Record<string, unknown>;
    const first = i === 0 ? { inputShape: [...inputShape] } : {};
    switch (s.className) {
      case 'Conv2D':
        m.add(tfl.layers.conv2d({ ...first, filters: cfg.filters as number, kernelSize: cfg.kernel_size as number[], padding: (cfg.padding as 'same' | 'valid') ?? 'valid', activation: cfg.activation as 'relu' }));
        break;
      case 'MaxPooling2D':
        m.add(tfl.layers.maxPooling2d({ ...first, poolSize: cfg.pool_size as [number, number] }));
        break;
      case 'Flatten':
        m.add(tfl.layers.flatten(first));
        break;
      case 'Dense':
        m.add(tfl.layers.dense({ ...first, units: cfg.units as number, activation: cfg.activation as 'relu' }));
        break;
      default:
        throw new CnnError(OP, `no tf.layers equivalent written for ${s.className}`);
    }
  });
  return m;
}

/** TF.js: tf.layers with our initial weights, `model.compile` with tf.train.sgd and `model.fit`. */
export function tfjsTrainEngine(tf: Tf, backend: 'webgpu' | 'cpu', layers: () => Promise<Tfl>, ours: Engine): ModelEngine {
  return {
    id: `tfjs-${backend}`,
    label: backend === 'webgpu' ? 'TF.js WebGPU' : 'TF.js CPU',
    gpu: backend === 'webgpu',
    unsupported: (c) => (c.kind === 'train' ? null : 'training rows only'),
    async prepare(c, xs): Promise<PreparedModel> {
      tfUse(tf, backend);
      await tf.ready();
      const tfl = await layers();
      const p = presets[c.url]!;
      // The same start as ours: our seeded initial weights, copied in.
      const start = build(ours, c);
      const init = await readParams(start);
      const shapes = start.params().map((t) => [...t.shape]);
      start.dispose();
      const data = trainData(c, xs);
      const x = tf.tensor(data.x, [data.count, ...data.xShape]);
      const y = tf.tensor(data.y, [data.count, data.classes]);
      const make = () => {
        const m = tfLayersModel(tfl, p.layers, p.inputShape);
        const w = init.map((v, i) => tf.tensor(v, shapes[i]));
        m.setWeights(w);
        tf.dispose(w);
        m.compile({ optimizer: tf.train.sgd(c.learningRate!), loss: 'categoricalCrossentropy' });
        return m;
      };
      const model = make();
      const fitOpts = { batchSize: c.x[0], epochs: 1, shuffle: false, verbose: 0 as const };
      const run = async () => {
        tfUse(tf, backend);
        await model.fit(x, y, fitOpts);
      };
      return {
        run,
        sync: () => tfSync(tf, backend),
        async output() {
          tfUse(tf, backend);
          const fresh = make();
          try {
            await fresh.fit(x, y, fitOpts);
            return concat(await Promise.all(fresh.getWeights().map(async (t) => Float32Array.from(await t.data()))));
          } finally {
            fresh.dispose();
          }
        },
        memory: () => {
          tfUse(tf, backend);
          return tfMemory(tf, backend, run);
        },
        dispose: () => {
          model.dispose();
          tf.dispose([x, y]);
        },
      };
    },
    dispose: () => undefined,
  };
}
