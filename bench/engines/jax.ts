/**
 * jax-js on its WebGPU backend as a baseline. jax-js convolves NCHW inputs with OIHW filters, so
 * the inputs are handed over in those layouts (converted once, untimed) and outputs converted back
 * for the correctness check. Each op is a `jit` function, as jax-js recommends; gradients are
 * `vjp`s inside `jit`, the way jax-js differentiates (its transpose rules, not hand-picked kernels).
 * jax-js owns its arrays by reference counting: a call consumes its arguments, hence the `.ref`s.
 */
import type * as JAX from '@jax-js/jax';
import { explicitPads, windowOutShape } from '../cases.js';
import { hwioToOihw, LENET_PARAMS, nchwToNhwc, nhwcToNchw, oihwToHwio, permuteFlattenRows } from '../data.js';
import { trainOutput } from './train_output.js';
import type { BenchCase, BenchEngine, CaseInputs, ConvSpec, PoolSpec, PreparedCase } from '../types.js';

type Jax = typeof JAX;
type Arr = JAX.Array;
type Pair = [number, number];
/** jax-js wants ArrayBuffer-backed data (never shared memory); ours always is. */
const f32 = (d: Float32Array) => d as Float32Array<ArrayBuffer>;

export async function createJaxEngine(jax: Jax): Promise<BenchEngine> {
  const devices = await jax.init('webgpu');
  if (!devices.includes('webgpu')) throw new Error('jax-js found no WebGPU device');
  jax.defaultDevice('webgpu');
  return {
    id: 'jax-webgpu',
    label: 'jax-js WebGPU',
    gpu: true,
    unsupported: (c) => {
      if (c.spec.kind === 'pool' && c.spec.pad !== 'valid') return 'jax-js reduceWindow pools without padding only';
      if (c.spec.kind === 'model' || c.spec.kind === 'explain') return 'jax-js has no loader for TF.js layers models';
      return null;
    },
    prepare: async (c, inputs) => prepare(jax, c, inputs),
    dispose: () => undefined,
  };
}

function pads(spec: ConvSpec | PoolSpec): Pair[] {
  const [t, b, l, r] = explicitPads(spec);
  return [[t, b], [l, r]];
}

async function prepare(jax: Jax, c: BenchCase, inputs: CaseInputs): Promise<PreparedCase> {
  const { numpy: np, lax, jit, vjp } = jax;
  const held: Arr[] = [];
  const arr = (data: Float32Array, shape: number[]) => {
    const a = np.array(f32(data)).reshape(shape);
    held.push(a);
    return a;
  };
  const nchw = (name: string) => {
    const v = inputs[name]!;
    const [n, h, w, ch] = v.shape as [number, number, number, number];
    return arr(nhwcToNchw(v.data, v.shape), [n, ch, h, w]);
  };
  const s = c.spec;
  if (s.kind === 'train') return prepareTrain(jax, s.learningRate, inputs);
  if (s.kind === 'model') throw new Error('jax-js: no model rows');
  const fns: { dispose(): void }[] = [];
  const J = <F extends (...args: Arr[]) => Arr>(f: F) => {
    const g = jit(f);
    fns.push(g);
    return g as unknown as (...args: Arr[]) => Arr;
  };
  /** The vjp of `f` at `primal`, applied to `ct`: the gradient with respect to f's argument. */
  const grad1 = (f: (a: Arr) => Arr) => (primal: Arr, ct: Arr): Arr => {
    const [y, back] = vjp(f, [primal]);
    y.dispose();
    const [g] = back(ct) as unknown as Arr[];
    back.dispose();
    return g!;
  };
  // The call with its argument arrays, and how its output goes back to the canonical layout.
  let call: () => Arr;
  let toCanonical: (out: Float32Array) => Float32Array = (o) => o;
  if (s.kind === 'conv') {
    const groups = s.depthwise ? s.x[3] : 1;
    const conv = (x: Arr, w: Arr) => lax.convGeneralDilated(x, w, s.strides, pads(s), { featureGroupCount: groups });
    const wShape = s.depthwise ? [s.w[2] * s.w[3], 1, s.w[0], s.w[1]] : [s.w[3], s.w[2], s.w[0], s.w[1]];
    const w = () => arr(hwioToOihw(inputs.w!.data, s.w, s.depthwise), wShape);
    const y = windowOutShape(s);
    if (c.family.endsWith('GradInput')) {
      const [wt, dy, x0] = [w(), nchw('dy'), arr(new Float32Array(s.x.reduce((a, b) => a * b, 1)), [s.x[0], s.x[3], s.x[1], s.x[2]])];
      const f = J((x: Arr, ww: Arr, d: Arr) => grad1((xx) => conv(xx, ww))(x, d));
      call = () => f(x0.ref, wt.ref, dy.ref);
      toCanonical = (o) => nchwToNhwc(o, s.x);
    } else if (c.family.endsWith('GradFilter')) {
      const [x, dy, w0] = [nchw('x'), nchw('dy'), arr(new Float32Array(s.w.reduce((a, b) => a * b, 1)), wShape)];
      const f = J((xx: Arr, d: Arr, ww: Arr) => grad1((wv) => conv(xx, wv))(ww, d));
      call = () => f(x.ref, dy.ref, w0.ref);
      toCanonical = (o) => oihwToHwio(o, s.w, s.depthwise);
    } else if (c.family === 'convLayer') {
      // Bias and relu in the same jit as the conv, so jax-js may fuse them as it sees fit.
      const [x, wt, bias] = [nchw('x'), w(), arr(inputs.bias!.data, [s.w[3], 1, 1])];
      const f = J((xx: Arr, ww: Arr, b: Arr) => jax.nn.relu(conv(xx, ww).add(b)));
      call = () => f(x.ref, wt.ref, bias.ref);
      toCanonical = (o) => nchwToNhwc(o, y);
    } else {
      const [x, wt] = [nchw('x'), w()];
      const f = J(conv);
      call = () => f(x.ref, wt.ref);
      toCanonical = (o) => nchwToNhwc(o, y);
    }
  } else if (s.kind === 'pool') {
    const max = c.family.startsWith('max');
    const pool = (x: Arr) => lax.reduceWindow(x, (win: Arr) => (max ? np.max(win) : np.mean(win)), s.filterSize, s.strides);
    if (c.family.endsWith('Grad')) {
      const x = max ? nchw('x') : arr(new Float32Array(s.x.reduce((a, b) => a * b, 1)), [s.x[0], s.x[3], s.x[1], s.x[2]]);
      const dy = nchw('dy');
      const f = J((xx: Arr, d: Arr) => grad1(pool)(xx, d));
      call = () => f(x.ref, dy.ref);
      toCanonical = (o) => nchwToNhwc(o, s.x);
    } else {
      const x = nchw('x');
      const f = J(pool);
      call = () => f(x.ref);
      toCanonical = (o) => nchwToNhwc(o, windowOutShape(s));
    }
  } else {
    const a = arr(inputs.a!.data, inputs.a!.shape);
    const b = arr(inputs.b!.data, inputs.b!.shape);
    if (c.family === 'denseLayer') {
      const bias = arr(inputs.bias!.data, inputs.bias!.shape);
      const f = J((x: Arr, y: Arr, z: Arr) => jax.nn.relu(np.matmul(x, y).add(z)));
      call = () => f(a.ref, b.ref, bias.ref);
    } else {
      const f = J((x: Arr, y: Arr) => np.matmul(x, y));
      call = () => f(a.ref, b.ref);
    }
  }
  await jax.blockUntilReady(held);
  let pending: Arr[] = [];
  return {
    run: () => {
      pending.push(call());
    },
    sync: async () => {
      const done = pending;
      pending = [];
      await jax.blockUntilReady(done);
      for (const p of done) p.dispose();
    },
    output: async () => {
      const y = call();
      const data = (await y.data()) as Float32Array;
      return toCanonical(Float32Array.from(data));
    },
    dispose: () => {
      for (const p of pending) p.dispose();
      for (const a of held) a.dispose();
      for (const f of fns) f.dispose();
    },
  };
}

type Params = Record<string, Arr>;

/** LeNet-5 in NCHW with jax-js's valueAndGrad and an SGD update, all in one jit. */
async function prepareTrain(jax: Jax, lr: number, inputs: CaseInputs): Promise<PreparedCase> {
  const { numpy: np, lax, nn, jit, valueAndGrad, tree } = jax;
  const [batch] = inputs.x!.shape as [number];
  const pool = (x: Arr) => lax.reduceWindow(x, (w: Arr) => np.max(w), [2, 2], [2, 2]);
  const loss = (p: Params, x: Arr, labels: Arr): Arr => {
    let h = nn.relu(lax.convGeneralDilated(x, p.w1!, [1, 1], [[2, 2], [2, 2]]).add(p.b1!));
    h = pool(h);
    h = nn.relu(lax.convGeneralDilated(h, p.w2!, [1, 1], [[0, 0], [0, 0]]).add(p.b2!));
    h = pool(h).reshape([batch, 400]);
    h = nn.relu(np.matmul(h, p.w3!).add(p.b3!));
    h = nn.relu(np.matmul(h, p.w4!).add(p.b4!));
    const logits = np.matmul(h, p.w5!).add(p.b5!);
    return np.mean(np.sum(labels.mul(nn.logSoftmax(logits, -1)), -1)).neg();
  };
  const step = jit((p: Params, x: Arr, labels: Arr) => {
    const [value, g] = valueAndGrad(loss)(tree.ref(p), x, labels) as unknown as [Arr, Params];
    const next = tree.map((a: Arr, d: Arr) => a.sub(d.mul(lr)), p, g) as Params;
    return [next, value] as unknown as Arr;
  });
  const toJax = (name: string): Arr => {
    const v = inputs[name]!;
    if (name === 'w1' || name === 'w2') {
      const [kh, kw, ci, co] = v.shape as [number, number, number, number];
      return np.array(f32(hwioToOihw(v.data, v.shape))).reshape([co, ci, kh, kw]);
    }
    if (name === 'b1' || name === 'b2') return np.array(f32(v.data)).reshape([v.shape[0]!, 1, 1]);
    if (name === 'w3') return np.array(f32(permuteFlattenRows(v.data))).reshape(v.shape);
    return np.array(f32(v.data)).reshape(v.shape);
  };
  const fromJax = (name: string, data: Float32Array): Float32Array => {
    if (name === 'w1' || name === 'w2') return oihwToHwio(data, inputs[name]!.shape);
    if (name === 'w3') return permuteFlattenRows(data, true);
    return data;
  };
  const fresh = (): Params => Object.fromEntries(LENET_PARAMS.map((n) => [n, toJax(n)]));
  const [n, h, w, ch] = inputs.x!.shape as [number, number, number, number];
  const x = np.array(f32(nhwcToNchw(inputs.x!.data, inputs.x!.shape))).reshape([n, ch, h, w]);
  const labels = np.array(f32(inputs.labels!.data)).reshape(inputs.labels!.shape);
  let state = fresh();
  await jax.blockUntilReady([x, labels, state]);
  let pending: Arr[] = [];
  const stepOnce = (p: Params): [Params, Arr] => step(p as never, x.ref, labels.ref) as unknown as [Params, Arr];
  return {
    run: () => {
      const [next, value] = stepOnce(state);
      state = next;
      pending.push(value);
    },
    sync: async () => {
      const done = pending;
      pending = [];
      await jax.blockUntilReady([done, state]);
      for (const p of done) p.dispose();
    },
    output: async () => {
      const [next, value] = stepOnce(fresh());
      const after: Record<string, Float32Array> = {};
      for (const name of LENET_PARAMS) after[name] = fromJax(name, Float32Array.from((await next[name]!.data()) as Float32Array));
      const v = ((await value.data()) as Float32Array)[0]!;
      return trainOutput(v, inputs, after, lr);
    },
    dispose: () => {
      for (const p of pending) p.dispose();
      tree.dispose(state);
      x.dispose();
      labels.dispose();
      step.dispose();
    },
  };
}
