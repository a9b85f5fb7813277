/**
 * TensorFlow.js as a baseline, on its WebGPU backend or its plain-JavaScript CPU backend. The
 * gradients run TF.js's own gradient kernels (Conv2DBackpropInput, MaxPoolGrad …) through
 * `runKernel`, as its autodiff would, without the forward pass tf.grads would add. The module is
 * passed in, so the page (bundled) and the smoke test (the test oracle's TF.js) share this code.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { LENET_PARAMS } from '../data.js';
import { trainOutput } from './train_output.js';
import { prepareTfExplain } from './tfjs_explain.js';
import type { BenchCase, BenchEngine, CaseInputs, PreparedCase } from '../types.js';

type Tf = typeof TF;
/** What the model rows need of @tensorflow/tfjs-layers. */
export type TfLayers = Pick<typeof TFL, 'loadLayersModel'>;

/** The parts of tfjs-backend-webgpu's backend the adapter drives (flush and wait). */
interface WebGpuBackendish {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/**
 * `layers` loads @tensorflow/tfjs-layers for the model rows (`tf.loadLayersModel` on the same
 * model.json our loader reads); without it those rows are n/a. `modelBase`: where the model files
 * are served (default: the page's origin).
 */
export async function createTfjsEngine(
  tf: Tf, backend: 'webgpu' | 'cpu', layers?: () => Promise<TfLayers>, modelBase?: string,
): Promise<BenchEngine> {
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not start its ${backend} backend`);
  await tf.ready();
  const id = `tfjs-${backend}`;
  const base = modelBase ?? (typeof location === 'undefined' ? null : location.origin + '/');
  return {
    id,
    label: backend === 'webgpu' ? 'TF.js WebGPU' : 'TF.js CPU',
    gpu: backend === 'webgpu',
    unsupported: (c) => {
      if (c.spec.kind !== 'model' && c.spec.kind !== 'explain') return null;
      if (!layers) return 'TF.js layers (tfjs-layers) was not loaded';
      return base ? null : 'the model rows fetch model files from the page that serves the bench';
    },
    async prepare(c, inputs) {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
      if (c.spec.kind === 'model') return prepareModel(tf, backend, await layers!(), new URL(c.spec.url, base!).href, inputs);
      if (c.spec.kind === 'explain') {
        const e = await prepareTfExplain(tf, await layers!(), new URL(c.spec.url, base!).href, c.spec, inputs, () => use(tf, backend));
        return { ...e, sync: () => sync(tf, backend) };
      }
      return prepare(tf, backend, c, inputs);
    },
    dispose: () => undefined,
  };
}

/**
 * Makes `backend` TF.js's current one. The suite interleaves engines, and TF.js's backend is
 * global: without this, a CPU sample would run on WebGPU tensors (or the reverse), moving data
 * between backends. For a backend already started, tf.setBackend switches synchronously.
 */
function use(tf: Tf, backend: string): void {
  if (tf.getBackend() !== backend) void tf.setBackend(backend);
}

async function sync(tf: Tf, backend: string): Promise<void> {
  if (backend !== 'webgpu') return;
  const b = tf.findBackend(backend) as unknown as WebGpuBackendish;
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}

function prepare(tf: Tf, backend: string, c: BenchCase, inputs: CaseInputs): PreparedCase {
  const held: TF.Tensor[] = [];
  const t = (name: string) => {
    const v = inputs[name]!;
    const x = tf.tensor(v.data, v.shape);
    held.push(x);
    return x;
  };
  const base = {
    sync: () => sync(tf, backend),
    dispose: () => tf.dispose(held),
  };
  const single = (call: () => TF.Tensor): PreparedCase => ({
    ...base,
    run: () => {
      use(tf, backend);
      tf.tidy(() => {
        call();
      });
    },
    output: async () => {
      use(tf, backend);
      const y = tf.tidy(call);
      try {
        return Float32Array.from(await y.data());
      } finally {
        y.dispose();
      }
    },
  });
  const s = c.spec;
  const run = (kernel: string, ins: Record<string, TF.Tensor>, attrs: object) =>
    tf.engine().runKernel(kernel, ins as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as TF.Tensor;
  switch (s.kind) {
    case 'conv': {
      const strides = s.strides;
      const pad = s.pad;
      if (s.depthwise) {
        if (c.family === 'depthwiseConv2d') {
          const [x, w] = [t('x'), t('w')];
          return single(() => tf.depthwiseConv2d(x as TF.Tensor4D, w as TF.Tensor4D, strides, pad));
        }
        const attrs = { strides, pad, dilations: [1, 1], dimRoundingMode: undefined };
        if (c.family === 'depthwiseConv2dGradInput') {
          const [dy, w] = [t('dy'), t('w')];
          return single(() => run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: s.x }));
        }
        const [x, dy] = [t('x'), t('dy')];
        return single(() => run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: s.w }));
      }
      if (c.family === 'conv2d') {
        const [x, w] = [t('x'), t('w')];
        return single(() => tf.conv2d(x as TF.Tensor4D, w as TF.Tensor4D, strides, pad));
      }
      if (c.family === 'convLayer') {
        // TF.js's own fused conv (bias and activation in its conv program), as its layers use.
        const [x, w, bias] = [t('x'), t('w'), t('bias')];
        return single(() => tf.fused.conv2d({ x: x as TF.Tensor4D, filter: w as TF.Tensor4D, strides, pad, bias, activation: 'relu' }));
      }
      const attrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      if (c.family === 'conv2dGradInput') {
        const [dy, w] = [t('dy'), t('w')];
        return single(() => run('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: s.x }));
      }
      const [x, dy] = [t('x'), t('dy')];
      return single(() => run('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: s.w }));
    }
    case 'pool': {
      const attrs = { filterSize: s.filterSize, strides: s.strides, pad: s.pad, dimRoundingMode: undefined };
      if (c.family === 'maxPool') {
        const x = t('x');
        return single(() => tf.maxPool(x as TF.Tensor4D, s.filterSize, s.strides, s.pad));
      }
      if (c.family === 'avgPool') {
        const x = t('x');
        return single(() => tf.avgPool(x as TF.Tensor4D, s.filterSize, s.strides, s.pad));
      }
      if (c.family === 'maxPoolGrad') {
        const [x, dy] = [t('x'), t('dy')];
        // MaxPoolGrad takes the forward output too; computing it is not part of the timed op.
        const y = tf.maxPool(x as TF.Tensor4D, s.filterSize, s.strides, s.pad);
        held.push(y);
        return single(() => run('MaxPoolGrad', { dy, input: x, output: y }, attrs));
      }
      const dy = t('dy');
      const x = tf.zeros([...s.x]);
      held.push(x);
      return single(() => run('AvgPoolGrad', { dy, input: x }, attrs));
    }
    case 'matmul': {
      const [a, b] = [t('a'), t('b')];
      if (c.family === 'denseLayer') {
        const bias = t('bias');
        return single(() => tf.fused.matMul({ a, b, bias, activation: 'relu' }));
      }
      return single(() => tf.matMul(a, b));
    }
    case 'train':
      return prepareTrain(tf, backend, s.learningRate, inputs, held, base);
    case 'model':
    case 'explain':
      throw new Error('model and explanation rows go through their own prepare');
  }
}

/** The same model.json through tf.loadLayersModel and `model.predict`, the way a TF.js page runs it. */
async function prepareModel(tf: Tf, backend: string, layers: TfLayers, url: string, inputs: CaseInputs): Promise<PreparedCase> {
  use(tf, backend);
  const model = await layers.loadLayersModel(url);
  const v = inputs.x!;
  const x = tf.tensor(v.data, v.shape);
  const call = () => model.predict(x) as TF.Tensor;
  return {
    run: () => {
      use(tf, backend);
      tf.tidy(() => {
        call();
      });
    },
    sync: () => sync(tf, backend),
    output: async () => {
      use(tf, backend);
      const y = tf.tidy(call);
      try {
        return Float32Array.from(await y.data());
      } finally {
        y.dispose();
      }
    },
    dispose: () => {
      x.dispose();
      model.dispose();
    },
  };
}

/** LeNet-5 with tf ops and tf.train.sgd, the way a TF.js user trains it (optimizer.minimize). */
function prepareTrain(
  tf: Tf, backend: string, lr: number, inputs: CaseInputs, held: TF.Tensor[],
  base: Pick<PreparedCase, 'sync' | 'dispose'>,
): PreparedCase {
  const x: TF.Tensor4D = tf.tensor4d(inputs.x!.data, inputs.x!.shape as [number, number, number, number]);
  const labels = tf.tensor(inputs.labels!.data, inputs.labels!.shape);
  held.push(x, labels);
  const makeVars = () => {
    const v: Record<string, TF.Variable> = {};
    for (const name of LENET_PARAMS) v[name] = tf.variable(tf.tensor(inputs[name]!.data, inputs[name]!.shape), true, undefined, 'float32');
    return v;
  };
  const loss = (v: Record<string, TF.Variable>) => () => {
    const batch = x.shape[0];
    let h: TF.Tensor4D = tf.relu(tf.add(tf.conv2d(x, v.w1 as TF.Tensor4D, 1, 'same'), v.b1!));
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.add(tf.conv2d(h, v.w2 as TF.Tensor4D, 1, 'valid'), v.b2!));
    h = tf.maxPool(h, 2, 2, 'valid');
    let d: TF.Tensor = tf.reshape(h, [batch, 400]);
    d = tf.relu(tf.add(tf.matMul(d, v.w3!), v.b3!));
    d = tf.relu(tf.add(tf.matMul(d, v.w4!), v.b4!));
    d = tf.add(tf.matMul(d, v.w5!), v.b5!);
    return tf.losses.softmaxCrossEntropy(labels, d) as TF.Scalar;
  };
  const vars = makeVars();
  const opt = tf.train.sgd(lr);
  const f = loss(vars);
  const list = Object.values(vars);
  return {
    ...base,
    run: () => {
      use(tf, backend);
      opt.minimize(f, false, list);
    },
    output: async () => {
      use(tf, backend);
      const v = makeVars();
      const o = tf.train.sgd(lr);
      try {
        const cost = o.minimize(loss(v), true, Object.values(v))!;
        const value = (await cost.data())[0]!;
        cost.dispose();
        const after: Record<string, Float32Array> = {};
        for (const name of LENET_PARAMS) after[name] = Float32Array.from(await v[name]!.data());
        return trainOutput(value, inputs, after, lr);
      } finally {
        o.dispose();
        tf.dispose(Object.values(v));
      }
    },
    dispose: () => {
      base.dispose();
      opt.dispose();
      tf.dispose(list);
    },
  };
}
