/**
 * One LeNet-5 training step on our engine, composed from the engine's ops and their gradient
 * kernels directly (no tape, no optimizer object): forward, softmax cross-entropy, backward, and
 * SGD as p ← p − lr·g. This is the work any autograd on top of the engine must at least do.
 */
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';

export interface LenetState {
  x: Tensor;
  labels: Tensor;
  /** w1, b1 … w5, b5; replaced by their updates each step. */
  params: Record<string, Tensor>;
}

const POOL = { filterSize: 2, strides: 2 } as const;

/** A copy of `t` with another shape (the engine's reshape where it has one). */
function reshape(e: Engine, t: Tensor, shape: number[]): Tensor {
  const r = (e as unknown as { reshape?: (t: Tensor, s: number[]) => Tensor }).reshape;
  if (typeof r === 'function') return r.call(e, t, shape);
  const out = e.empty(shape, 'reshape');
  e.scheduler.copy(t.buffer, out.buffer, t.size * 4);
  return out;
}

/**
 * Runs one step, updating `state.params` in place of the old ones; returns the loss (caller
 * disposes). `fused`: each layer's bias and relu in its conv or matMul dispatch. The relu
 * gradients read the layers' outputs either way (relu(a) > 0 exactly where a > 0).
 */
export function lenetStep(e: Engine, state: LenetState, lr: Tensor, fused = true): Tensor {
  const p = state.params;
  const made: Tensor[] = [];
  const k = (t: Tensor) => {
    made.push(t);
    return t;
  };
  const batch = state.x.shape[0]!;
  // Forward: each layer one dispatch (bias and relu in the conv/matMul's epilogue), or three.
  const layer = (y: Tensor, b: Tensor, relu: boolean): Tensor => {
    const z = k(e.add(k(y), b));
    return relu ? k(e.relu(z)) : z;
  };
  const conv = (x: Tensor, w: Tensor, b: Tensor, pad: 'same' | 'valid') =>
    fused ? k(e.conv2d(x, w, { pad, bias: b, activation: 'relu' })) : layer(e.conv2d(x, w, { pad }), b, true);
  const dense = (x: Tensor, w: Tensor, b: Tensor, relu: boolean) =>
    fused ? k(e.matMul(x, w, { bias: b, activation: relu ? 'relu' : 'linear' })) : layer(e.matMul(x, w), b, relu);
  const r1 = conv(state.x, p.w1!, p.b1!, 'same');
  const p1 = k(e.maxPool2d(r1, POOL));
  const r2 = conv(p1, p.w2!, p.b2!, 'valid');
  const p2 = k(e.maxPool2d(r2, POOL));
  const f = k(reshape(e, p2, [batch, 400]));
  const h1r = dense(f, p.w3!, p.b3!, true);
  const h2r = dense(h1r, p.w4!, p.b4!, true);
  const logits = dense(h2r, p.w5!, p.b5!, false);
  const { loss, dLogits } = e.softmaxCrossEntropy(logits, state.labels);
  k(dLogits);
  // Backward.
  const g: Record<string, Tensor> = {};
  g.w5 = e.matMul(h2r, dLogits, { transposeA: true });
  g.b5 = e.sum(dLogits, 0);
  const dh2 = k(e.reluGrad(k(e.matMul(dLogits, p.w5!, { transposeB: true })), h2r));
  g.w4 = e.matMul(h1r, dh2, { transposeA: true });
  g.b4 = e.sum(dh2, 0);
  const dh1 = k(e.reluGrad(k(e.matMul(dh2, p.w4!, { transposeB: true })), h1r));
  g.w3 = e.matMul(f, dh1, { transposeA: true });
  g.b3 = e.sum(dh1, 0);
  const dp2 = k(reshape(e, k(e.matMul(dh1, p.w3!, { transposeB: true })), p2.shape as number[]));
  const da2 = k(e.reluGrad(k(e.maxPool2dGrad(dp2, r2, POOL)), r2));
  g.w2 = e.conv2dGradFilter(p1, da2, p.w2!.shape, { pad: 'valid' });
  g.b2 = e.sum(da2, [0, 1, 2]);
  const dp1 = k(e.conv2dGradInput(da2, p.w2!, p1.shape, { pad: 'valid' }));
  const da1 = k(e.reluGrad(k(e.maxPool2dGrad(dp1, r1, POOL)), r1));
  g.w1 = e.conv2dGradFilter(state.x, da1, p.w1!.shape, { pad: 'same' });
  g.b1 = e.sum(da1, [0, 1, 2]);
  // SGD. Disposing now is safe: work recorded later, which could reuse a buffer, runs later.
  for (const name of Object.keys(p)) {
    const step = e.mul(g[name]!, lr);
    const next = e.sub(p[name]!, step);
    step.dispose();
    g[name]!.dispose();
    p[name]!.dispose();
    p[name] = next;
  }
  for (const t of made) t.dispose();
  return loss;
}
