/**
 * jax-js training the same preset network: the layers of src/nn/presets.ts written as jax-js ops in
 * NCHW (its convolution layout), our initial weights converted in, softmax cross-entropy, and the
 * SGD update inside one `jit` with `valueAndGrad`, as jax-js trains. One call is the row's steps
 * over its batches, like one `Model.fit` epoch; compared on the weights after one call, converted
 * back to our layouts.
 */
import type * as JAX from '@jax-js/jax';
import { CnnError, presets, sequential, type Engine, type Model } from '../../src/index.js';
import { hwioToOihw, nhwcToNchw, oihwToHwio, permuteFlattenRows } from '../data.js';
import { trainData } from './train.js';
import type { ModelEngine, PreparedModel } from './types.js';

type Jax = typeof JAX;
type Arr = JAX.Array;
const f32 = (d: Float32Array) => d as Float32Array<ArrayBuffer>;
const OP = 'model bench (jax-js training)';

/** One weight of the net as ours holds it, and how it maps to jax-js's layout. */
interface Weight {
  shape: number[];
  toJax(v: Float32Array): Arr;
  fromJax(v: Float32Array): Float32Array;
}

interface Step {
  kind: 'conv' | 'pool' | 'flatten' | 'dense';
  pad?: number;
  relu?: boolean;
}

/** The preset's layers as jax-js steps and weights, from our built model (its shapes and order). */
function plan(np: Jax['numpy'], m: Model): { steps: Step[]; weights: Weight[] } {
  const steps: Step[] = [];
  const weights: Weight[] = [];
  let flatShape: [number, number, number] | null = null;
  let prev: readonly number[] = [];
  for (const l of m.layers) {
    const cfg = l.config as Record<string, unknown>;
    if (l.className === 'InputLayer') {
      prev = l.outputShape;
      continue;
    }
    if (l.className === 'Conv2D') {
      const [kh, kw, ci, co] = l.weights[0]!.tensor.shape as [number, number, number, number];
      steps.push({ kind: 'conv', pad: cfg.padding === 'same' ? (kh - 1) / 2 : 0, relu: cfg.activation === 'relu' });
      weights.push({ shape: [kh, kw, ci, co], toJax: (v) => np.array(f32(hwioToOihw(v, [kh, kw, ci, co]))).reshape([co, ci, kh, kw]), fromJax: (v) => oihwToHwio(v, [kh, kw, ci, co]) });
      weights.push({ shape: [co], toJax: (v) => np.array(f32(v)).reshape([co, 1, 1]), fromJax: (v) => v });
    } else if (l.className === 'MaxPooling2D') {
      steps.push({ kind: 'pool' });
    } else if (l.className === 'Flatten') {
      flatShape = [...prev] as [number, number, number];
      steps.push({ kind: 'flatten' });
    } else if (l.className === 'Dense') {
      const [k, n] = l.weights[0]!.tensor.shape as [number, number];
      // The first dense after Flatten: its rows from NHWC flattening order to NCHW's.
      const fs = flatShape;
      flatShape = null;
      steps.push({ kind: 'dense', relu: cfg.activation === 'relu' });
      weights.push({
        shape: [k, n],
        toJax: (v) => np.array(f32(fs ? permuteFlattenRows(v, false, fs, n) : v)).reshape([k, n]),
        fromJax: (v) => (fs ? permuteFlattenRows(v, true, fs, n) : v),
      });
      weights.push({ shape: [n], toJax: (v) => np.array(f32(v)).reshape([n]), fromJax: (v) => v });
    } else {
      throw new CnnError(OP, `no jax-js version written for ${l.className}`);
    }
    prev = l.outputShape;
  }
  return { steps, weights };
}

export function jaxTrainEngine(jax: Jax, ours: Engine): ModelEngine {
  return {
    id: 'jax-webgpu',
    label: 'jax-js WebGPU',
    gpu: true,
    unsupported: (c) => (c.kind === 'train' ? null : 'training rows only (jax-js has no model loader)'),
    async prepare(c, xs): Promise<PreparedModel> {
      const { numpy: np, lax, nn, jit, valueAndGrad, tree } = jax;
      const p = presets[c.url];
      if (!p) throw new CnnError(OP, `no preset '${c.url}'`);
      const start = sequential(ours, { inputShape: p.inputShape, layers: p.layers, seed: 3, name: p.name });
      const init = await Promise.all(start.params().map((t) => t.read()));
      const { steps, weights } = plan(np, start);
      start.dispose();
      const lr = c.learningRate!;
      const [batch, h, w, ch] = c.x;
      const loss = (params: Arr[], x: Arr, labels: Arr): Arr => {
        let t = x;
        let i = 0;
        for (const s of steps) {
          if (s.kind === 'conv') {
            t = lax.convGeneralDilated(t, params[i]!, [1, 1], [[s.pad!, s.pad!], [s.pad!, s.pad!]]).add(params[i + 1]!);
            if (s.relu) t = nn.relu(t);
            i += 2;
          } else if (s.kind === 'pool') {
            t = lax.reduceWindow(t, (win: Arr) => np.max(win), [2, 2], [2, 2]);
          } else if (s.kind === 'flatten') {
            t = t.reshape([batch, -1]);
          } else {
            t = np.matmul(t, params[i]!).add(params[i + 1]!);
            if (s.relu) t = nn.relu(t);
            i += 2;
          }
        }
        return np.mean(np.sum(labels.mul(nn.logSoftmax(t, -1)), -1)).neg();
      };
      const step = jit((params: Arr[], x: Arr, labels: Arr) => {
        const [value, g] = valueAndGrad(loss)(tree.ref(params), x, labels) as unknown as [Arr, Arr[]];
        const next = tree.map((a: Arr, d: Arr) => a.sub(d.mul(lr)), params, g) as Arr[];
        return [next, value] as unknown as Arr;
      });
      const data = trainData(c, xs);
      const batches: { x: Arr; y: Arr }[] = [];
      for (let b = 0; b * batch < data.count; b++) {
        const xb = data.x.subarray(b * batch * h * w * ch, (b + 1) * batch * h * w * ch);
        batches.push({
          x: np.array(f32(nhwcToNchw(Float32Array.from(xb), [batch, h, w, ch]))).reshape([batch, ch, h, w]),
          y: np.array(f32(data.y.slice(b * batch * 10, (b + 1) * batch * 10))).reshape([batch, 10]),
        });
      }
      const fresh = () => weights.map((wt, i) => wt.toJax(init[i]!));
      let state = fresh();
      await jax.blockUntilReady([state, batches.map((b) => [b.x, b.y])]);
      let pending: Arr[] = [];
      const epoch = (params: Arr[]): Arr[] => {
        let cur = params;
        for (const b of batches) {
          const [next, value] = step(cur as never, b.x.ref, b.y.ref) as unknown as [Arr[], Arr];
          cur = next;
          pending.push(value);
        }
        return cur;
      };
      const sync = async () => {
        const done = pending;
        pending = [];
        await jax.blockUntilReady([done, state]);
        for (const v of done) v.dispose();
      };
      return {
        run: () => {
          state = epoch(state);
        },
        sync,
        async output() {
          const after = epoch(fresh());
          const parts = await Promise.all(after.map(async (a, i) => weights[i]!.fromJax(Float32Array.from((await a.data()) as Float32Array))));
          await sync();
          const out = new Float32Array(parts.reduce((n, x) => n + x.length, 0));
          let at = 0;
          for (const x of parts) {
            out.set(x, at);
            at += x.length;
          }
          return out;
        },
        memory: async () => ({ heldBytes: null, peakBytes: null, note: 'jax-js does not report its memory' }),
        dispose: () => {
          for (const v of pending) v.dispose();
          tree.dispose(state);
          for (const b of batches) {
            b.x.dispose();
            b.y.dispose();
          }
          step.dispose();
        },
      };
    },
    dispose: () => undefined,
  };
}
