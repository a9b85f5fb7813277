import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import { numericGradient } from '../helpers/finite_diff.js';
import { Tape } from '../../src/autograd/tape.js';
import type { Ops } from '../../src/autograd/ops.js';
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** One rule check: the same function in TF.js and through the tape, on random inputs. */
interface Case {
  name: string;
  shapes: number[][];
  /** Range of the random inputs, per input or for all (default [−1, 1]). */
  range?: [number, number] | [number, number][];
  ref: (...xs: tf.Tensor[]) => tf.Tensor;
  ours: (t: Tape, ...xs: Tensor[]) => Tensor;
  /** The inputs to differentiate (default all). */
  wrt?: number[];
}

/**
 * Checks forward values and the gradients of L = Σ y·r (r random) with respect to the chosen
 * inputs against tf.grads with dy = r; and that tape, inputs and gradients free every buffer.
 */
async function check(e: Engine, c: Case, rng: Rng): Promise<void> {
  const rangeOf = (i: number): [number, number] =>
    !c.range ? [-1, 1] : Array.isArray(c.range[0]) ? (c.range as [number, number][])[i]! : (c.range as [number, number]);
  const data = c.shapes.map((s, i) => rng.uniform(size(s), ...rangeOf(i)));
  const wrt = c.wrt ?? c.shapes.map((_, i) => i);

  tf.engine().startScope();
  let ref: { y: Float32Array; shape: number[]; r: Float32Array; grads: Float32Array[] };
  try {
    const xs = data.map((d, i) => tf.tensor(d, c.shapes[i]));
    const y = c.ref(...xs);
    const r = rng.uniform(y.size);
    const f = (...ws: tf.Tensor[]) => {
      const all = [...xs];
      wrt.forEach((k, j) => (all[k] = ws[j]!));
      return c.ref(...all);
    };
    const grads = tf.grads(f)(wrt.map((k) => xs[k]!), tf.tensor(r, y.shape));
    ref = { y: y.dataSync() as Float32Array, shape: y.shape, r, grads: grads.map((g) => g.dataSync() as Float32Array) };
  } finally {
    tf.engine().endScope();
  }

  const before = e.memory().buffers;
  const inputs = data.map((d, i) => e.tensor(d, c.shapes[i]!));
  const tape = new Tape(e);
  const y = c.ours(tape, ...inputs);
  expectShape(y.shape, ref.shape, `${c.name} forward`);
  expectClose(await y.read(), ref.y, `${c.name} forward`);
  const r = e.tensor(ref.r, y.shape);
  const loss = tape.sum(tape.mul(y, r));
  const params = wrt.map((k) => inputs[k]!);
  const grads = tape.backward(loss, params);
  for (const [j, p] of params.entries()) {
    const g = grads.get(p)!;
    expectShape(g.shape, p.shape, `${c.name} d/dx${wrt[j]}`);
    expectClose(await g.read(), ref.grads[j]!, `${c.name} d/dx${wrt[j]}`);
  }
  tape.dispose();
  for (const t of [...inputs, r, ...grads.values()]) t.dispose();
  expect(e.memory().buffers, `${c.name}: buffers after disposing everything`).to.equal(before);
}

async function checkAll(e: Engine, cases: Case[], seed: number): Promise<void> {
  const rng = new Rng(seed);
  for (const c of cases) await check(e, c, rng);
}

const pos: [number, number] = [0.3, 2];

describe('Tape', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('the engine satisfies Ops, and a tape records one entry per op', (e) => {
    const ops: Ops = e;
    const tape: Ops = new Tape(e);
    expect(ops).to.equal(e);
    const t = tape as Tape;
    const x = e.tensor([1, -2], [2]);
    t.relu(t.add(x, x));
    expect(t.size).to.equal(2);
    t.dispose();
    x.dispose();
  });

  gpuIt('conv2d, depthwiseConv2d and the pools match tf.grads', (e) =>
    checkAll(e, [
      { name: 'conv2d same', shapes: [[2, 5, 5, 3], [3, 3, 3, 4]], ref: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), ours: (t, x, w) => t.conv2d(x!, w!, { pad: 'same' }) },
      { name: 'conv2d stride 2 valid', shapes: [[1, 7, 6, 2], [2, 3, 2, 3]], ref: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'), ours: (t, x, w) => t.conv2d(x!, w!, { strides: 2 }) },
      { name: 'depthwiseConv2d', shapes: [[2, 5, 5, 3], [3, 3, 3, 2]], ref: (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), ours: (t, x, w) => t.depthwiseConv2d(x!, w!, { strides: 2, pad: 'same' }) },
      { name: 'maxPool2d', shapes: [[2, 4, 6, 3]], ref: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), ours: (t, x) => t.maxPool2d(x!, { filterSize: 2 }) },
      { name: 'avgPool2d', shapes: [[2, 5, 5, 2]], ref: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'valid'), ours: (t, x) => t.avgPool2d(x!, { filterSize: 3, strides: 1 }) },
    ], 1));

  gpuIt('the unary ops match tf.grads', (e) => {
    const unary = (name: string, ref: (x: tf.Tensor) => tf.Tensor, ours: (t: Tape, x: Tensor) => Tensor, range: [number, number] = [-1, 1]): Case =>
      ({ name, shapes: [[3, 17]], range, ref: (x) => ref(x!), ours: (t, x) => ours(t, x!) });
    return checkAll(e, [
      unary('relu', tf.relu, (t, x) => t.relu(x)),
      unary('leakyRelu', (x) => tf.leakyRelu(x, 0.1), (t, x) => t.leakyRelu(x, 0.1)),
      unary('sigmoid', tf.sigmoid, (t, x) => t.sigmoid(x), [-4, 4]),
      unary('tanh', tf.tanh, (t, x) => t.tanh(x), [-3, 3]),
      unary('relu6', tf.relu6, (t, x) => t.unary('relu6', x), [-3, 9]),
      unary('neg', tf.neg, (t, x) => t.unary('neg', x)),
      unary('exp', tf.exp, (t, x) => t.unary('exp', x)),
      unary('log', tf.log, (t, x) => t.unary('log', x), pos),
      unary('square', tf.square, (t, x) => t.unary('square', x)),
      unary('sqrt', tf.sqrt, (t, x) => t.unary('sqrt', x), pos),
      unary('abs', tf.abs, (t, x) => t.unary('abs', x)),
    ], 2);
  });

  gpuIt('add, sub and mul match tf.grads, reducing broadcasts back to each operand', (e) =>
    checkAll(e, [
      { name: 'add same shape', shapes: [[3, 4], [3, 4]], ref: tf.add, ours: (t, a, b) => t.add(a!, b!) },
      { name: 'add bias', shapes: [[2, 3, 4, 5], [5]], ref: tf.add, ours: (t, a, b) => t.add(a!, b!) },
      { name: 'add both broadcast', shapes: [[2, 1, 4, 1], [3, 1, 5]], ref: tf.add, ours: (t, a, b) => t.add(a!, b!) },
      { name: 'sub', shapes: [[4, 1], [2, 3, 4, 5]], ref: tf.sub, ours: (t, a, b) => t.sub(a!, b!) },
      { name: 'sub scalar', shapes: [[3, 4], []], ref: tf.sub, ours: (t, a, b) => t.sub(a!, b!) },
      { name: 'mul', shapes: [[2, 1, 4, 1], [3, 1, 5]], ref: tf.mul, ours: (t, a, b) => t.mul(a!, b!) },
      { name: 'mul per channel', shapes: [[2, 3, 3, 4], [1, 1, 1, 4]], ref: tf.mul, ours: (t, a, b) => t.mul(a!, b!) },
    ], 3));

  gpuIt('matMul matches tf.grads with each combination of transposes', (e) =>
    checkAll(e, [
      { name: 'matMul', shapes: [[3, 4], [4, 5]], ref: (a, b) => tf.matMul(a!, b!), ours: (t, a, b) => t.matMul(a!, b!) },
      { name: 'matMul tA', shapes: [[4, 3], [4, 5]], ref: (a, b) => tf.matMul(a!, b!, true), ours: (t, a, b) => t.matMul(a!, b!, { transposeA: true }) },
      { name: 'matMul tB', shapes: [[3, 4], [5, 4]], ref: (a, b) => tf.matMul(a!, b!, false, true), ours: (t, a, b) => t.matMul(a!, b!, { transposeB: true }) },
      { name: 'matMul tA tB', shapes: [[4, 3], [5, 4]], ref: (a, b) => tf.matMul(a!, b!, true, true), ours: (t, a, b) => t.matMul(a!, b!, { transposeA: true, transposeB: true }) },
    ], 4));

  gpuIt('softmax, logSoftmax and softmaxCrossEntropy match tf.grads', (e) => {
    const onehot = new Rng(50);
    const labels = (rows: number, classes: number) => {
      const l = new Float32Array(rows * classes);
      for (let i = 0; i < rows; i++) l[i * classes + onehot.int(0, classes - 1)] = 1;
      return l;
    };
    const l46 = labels(4, 6);
    return checkAll(e, [
      { name: 'softmax', shapes: [[3, 7]], range: [-3, 3], ref: (x) => tf.softmax(x!), ours: (t, x) => t.softmax(x!) },
      { name: 'softmax rank 3', shapes: [[2, 3, 5]], range: [-3, 3], ref: (x) => tf.softmax(x!), ours: (t, x) => t.softmax(x!) },
      { name: 'logSoftmax', shapes: [[2, 3, 5]], range: [-3, 3], ref: (x) => tf.logSoftmax(x!), ours: (t, x) => t.logSoftmax(x!) },
      {
        name: 'softmaxCrossEntropy', shapes: [[4, 6]], range: [-3, 3], wrt: [0],
        ref: (x) => tf.losses.softmaxCrossEntropy(tf.tensor(l46, [4, 6]), x!),
        ours: (t, x) => t.softmaxCrossEntropy(x!, t.tensor(l46, [4, 6])).loss,
      },
    ], 5);
  });

  gpuIt('sum and mean over any axes match tf.grads', (e) => {
    const cases: [string, number | number[] | undefined][] = [['[1]', [1]], ['[0, 2]', [0, 2]], ['all', undefined], ['-1', -1], ['[1, 2]', [1, 2]]];
    return checkAll(e, cases.flatMap(([label, axes]): Case[] => [
      { name: `sum ${label}`, shapes: [[2, 3, 4, 5]], ref: (x) => tf.sum(x!, axes), ours: (t, x) => t.sum(x!, axes) },
      { name: `mean ${label}`, shapes: [[2, 3, 4, 5]], ref: (x) => tf.mean(x!, axes), ours: (t, x) => t.mean(x!, axes) },
    ]), 6);
  });

  gpuIt('reshape, pad, slice and concat match tf.grads', (e) =>
    checkAll(e, [
      { name: 'reshape', shapes: [[2, 3, 4]], ref: (x) => tf.reshape(x!, [6, 4]), ours: (t, x) => t.reshape(x!, [6, 4]) },
      { name: 'reshape -1', shapes: [[2, 3, 4]], ref: (x) => tf.reshape(x!, [4, -1]), ours: (t, x) => t.reshape(x!, [4, -1]) },
      { name: 'pad', shapes: [[2, 3, 4]], ref: (x) => tf.pad(x!, [[1, 0], [0, 2], [1, 1]], 0.5), ours: (t, x) => t.pad(x!, [[1, 0], [0, 2], [1, 1]], 0.5) },
      { name: 'pad NHWC', shapes: [[1, 3, 3, 2]], ref: (x) => tf.pad(x!, [[0, 0], [1, 1], [2, 0], [0, 0]]), ours: (t, x) => t.pad(x!, [[0, 0], [1, 1], [2, 0], [0, 0]]) },
      { name: 'slice', shapes: [[3, 5, 4]], ref: (x) => tf.slice(x!, [1, 0, 1], [2, -1, 2]), ours: (t, x) => t.slice(x!, [1, 0, 1], [2, -1, 2]) },
      { name: 'concat axis 1', shapes: [[2, 3, 4], [2, 1, 4], [2, 2, 4]], ref: (...xs) => tf.concat(xs, 1), ours: (t, ...xs) => t.concat(xs, 1) },
      { name: 'concat axis -1', shapes: [[2, 3, 4], [2, 3, 1]], ref: (...xs) => tf.concat(xs, -1), ours: (t, ...xs) => t.concat(xs, -1) },
    ], 7));

  gpuIt('batchNorm matches tf.grads for x, mean, variance, offset and scale, and without offset and scale', (e) => {
    const range: [number, number][] = [[-2, 2], [-1, 1], pos, [-1, 1], pos];
    return checkAll(e, [
      {
        name: 'batchNorm', shapes: [[2, 3, 3, 4], [4], [4], [4], [4]], range,
        ref: (x, m, v, o, s) => tf.batchNorm(x!, m!, v!, o!, s!, 1e-3),
        ours: (t, x, m, v, o, s) => t.batchNorm(x!, m!, v!, o!, s!, 1e-3),
      },
      {
        name: 'batchNorm without offset and scale', shapes: [[5, 3], [3], [3]], range,
        // tf.batchNorm's gradient fails without offset and scale; its formula is the reference.
        ref: (x, m, v) => tf.mul(tf.sub(x!, m!), tf.rsqrt(tf.add(v!, 0.01))),
        ours: (t, x, m, v) => t.batchNorm(x!, m!, v!, null, null, 0.01),
      },
    ], 8);
  });

  gpuIt('batchNorm in training mode (statistics from mean ops on the tape) matches tf.grads', (e) => {
    const train = <T>(o: { mean: (x: T, ax: number[]) => T; sub: (a: T, b: T) => T; square: (x: T) => T; bn: (x: T, m: T, v: T, b: T, g: T) => T }) =>
      (x: T, beta: T, gamma: T) => {
        const m = o.mean(x, [0, 1, 2]);
        const v = o.mean(o.square(o.sub(x, m)), [0, 1, 2]);
        return o.bn(x, m, v, beta, gamma);
      };
    const refFn = train<tf.Tensor>({ mean: (x, ax) => tf.mean(x, ax), sub: tf.sub, square: tf.square, bn: (x, m, v, b, g) => tf.batchNorm(x, m, v, b, g, 1e-3) });
    let t: Tape;
    const ourFn = train<Tensor>({ mean: (x, ax) => t.mean(x, ax), sub: (a, b) => t.sub(a, b), square: (x) => t.unary('square', x), bn: (x, m, v, b, g) => t.batchNorm(x, m, v, b, g, 1e-3) });
    return checkAll(e, [{
      name: 'batchNorm training', shapes: [[3, 4, 4, 5], [5], [5]], range: [[-2, 3], [-1, 1], pos],
      ref: (x, b, g) => refFn(x!, b!, g!),
      ours: (tape, x, b, g) => ((t = tape), ourFn(x!, b!, g!)),
    }], 9);
  });

  gpuIt('a tensor used several times gets the sum of its gradients', (e) =>
    checkAll(e, [
      { name: 'x·x + x', shapes: [[3, 4]], ref: (x) => tf.add(tf.mul(x!, x!), x!), ours: (t, x) => t.add(t.mul(x!, x!), x!) },
      { name: 'add(a, a) then relu twice', shapes: [[5]], ref: (a) => tf.mul(tf.relu(tf.add(a!, a!)), tf.relu(a!)), ours: (t, a) => t.mul(t.relu(t.add(a!, a!)), t.relu(a!)) },
      { name: 'a + b with both params', shapes: [[2, 3], [2, 3]], ref: (a, b) => tf.add(a!, b!), ours: (t, a, b) => t.add(a!, b!) },
    ], 10));

  gpuIt('gives zeros to params the loss does not reach, distinct tensors to params sharing one gradient', async (e) => {
    const tape = new Tape(e);
    const a = e.tensor([1, 2], [2]);
    const b = e.tensor([3, 4], [2]);
    const unused = e.tensor([5, 6, 7], [3]);
    const loss = tape.sum(tape.add(a, b));
    const grads = tape.backward(loss, [a, b, unused, a]);
    expect(grads.size).to.equal(3);
    expect(grads.get(a)).to.not.equal(grads.get(b));
    expect([...(await grads.get(a)!.read())]).to.deep.equal([1, 1]);
    expect([...(await grads.get(b)!.read())]).to.deep.equal([1, 1]);
    expect([...(await grads.get(unused)!.read())]).to.deep.equal([0, 0, 0]);
    tape.dispose();
    for (const g of grads.values()) g.dispose();
    for (const t of [a, b, unused]) t.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('computes only what leads to a param: no input gradient for a first conv layer', async (e) => {
    const rng = new Rng(11);
    const xs = rng.uniform(2 * 6 * 6 * 3);
    const ws = rng.uniform(3 * 3 * 3 * 4);
    const x = e.tensor(xs, [2, 6, 6, 3]);
    const w = e.tensor(ws, [3, 3, 3, 4]);
    const tape = new Tape(e);
    const loss = tape.sum(tape.relu(tape.conv2d(x, w, { pad: 'same' })));
    const before = e.scheduler.dispatchCount;
    const grads = tape.backward(loss, [w]);
    // The sum's spread (one add), relu's gradient and the filter gradient (a partial and a reduce
    // pass at most); conv2dGradInput would make it five.
    expect(e.scheduler.dispatchCount - before).to.be.at.most(4);
    const ref = tf.tidy(() => {
      const f = (wt: tf.Tensor) => tf.sum(tf.relu(tf.conv2d(tf.tensor4d(xs, [2, 6, 6, 3]), wt as tf.Tensor4D, 1, 'same')));
      return tf.grad(f)(tf.tensor(ws, [3, 3, 3, 4])).dataSync();
    });
    expectClose(await grads.get(w)!.read(), ref, 'dw');
    tape.dispose();
  });

  gpuIt('backward refuses a non-scalar loss, a loss from elsewhere, and a disposed tape', (e) => {
    const tape = new Tape(e);
    const x = e.tensor([1, 2, 3], [3]);
    const y = tape.relu(x);
    const other = e.relu(x);
    expectThrowsNoLeak(e, () => tape.backward(y, [x]), /backward: loss must be a scalar \(one value\), got shape \[3\]/);
    const otherLoss = e.sum(other);
    expectThrowsNoLeak(e, () => tape.backward(otherLoss, [x]), /backward: the loss \[\] was not computed on this tape/);
    const loss = tape.sum(y);
    tape.dispose();
    expect(y.isDisposed && loss.isDisposed, 'the tape frees what it made').to.equal(true);
    expect(x.isDisposed, 'but not its inputs').to.equal(false);
    expectThrowsNoLeak(e, () => tape.backward(loss, [x]), /backward: this tape was disposed/);
    expectThrowsNoLeak(e, () => tape.relu(x), /relu: this tape was disposed/);
  });

  gpuIt('backward that fails partway (a rule reads a tensor disposed since the forward pass) frees its temporaries and the partial gradients', (e) => {
    const tape = new Tape(e);
    const p = e.tensor([1, -2, 3], [3]);
    const q = e.tensor([4, 5, -6], [3]);
    const a = tape.relu(p);
    // mul's rule makes dq·… then reads `a` for q's gradient: the first is made before the second fails.
    const loss = tape.sum(tape.mul(tape.exp(tape.mul(a, q)), q));
    a.dispose();
    expectThrowsNoLeak(e, () => tape.backward(loss, [p, q]), /mul: b \(shape \[3\]\) was used after dispose\(\)/);
    tape.dispose();
  });

  gpuIt('a whole network (conv → relu → maxPool → flatten → dense → softmax cross-entropy) matches tf.grads and float64 finite differences, and frees every buffer', async (e) => {
    const rng = new Rng(12);
    const net = makeNet(rng);
    const start = e.memory().buffers;
    const x = e.tensor(net.x, NET.x);
    const labels = e.tensor(net.labels, [NET.x[0], NET.classes]);
    const params = NET_PARAMS.map((k) => e.tensor(net[k], NET[k]));
    const tape = new Tape(e);
    const loss = netForward(netForwardTape(tape), x, labels, params);
    const grads = tape.backward(loss, params);
    const ours = await Promise.all(params.map((p) => grads.get(p)!.read()));

    const ref = tf.tidy(() => {
      const f = (...ps: tf.Tensor[]) => netForward(tfOps, tf.tensor(net.x, [...NET.x]), tf.tensor(net.labels, [NET.x[0], NET.classes]), ps);
      const values = NET_PARAMS.map((k) => tf.tensor(net[k], [...NET[k]]));
      return { loss: f(...values).dataSync()[0]!, grads: tf.grads(f)(values).map((g) => g.dataSync()) };
    });
    expectClose(await loss.read(), [ref.loss], 'loss');
    NET_PARAMS.forEach((k, i) => expectClose(ours[i]!, ref.grads[i]!, `tf.grads d${k}`));

    NET_PARAMS.forEach((k, i) => {
      const fd = numericGradient((v) => Float64Array.of(netLoss64({ ...net, [k]: v })), net[k], [1], 1e-5);
      expectClose(ours[i]!, fd, `finite-difference d${k}`, 1e-3);
    });

    tape.dispose();
    for (const t of [x, labels, ...params, ...grads.values()]) t.dispose();
    expect(e.memory().buffers).to.equal(start);
  });
});

// ---- the whole-network check ----

const NET = { x: [3, 8, 8, 2], w1: [3, 3, 2, 4], b1: [4], w2: [3 * 3 * 4, 5], b2: [5], classes: 5 } as const;
const NET_PARAMS = ['w1', 'b1', 'w2', 'b2'] as const;
type NetData = Record<'x' | 'labels' | (typeof NET_PARAMS)[number], Float32Array>;

function makeNet(rng: Rng): NetData {
  const n = NET.x[0];
  const labels = new Float32Array(n * NET.classes);
  for (let i = 0; i < n; i++) labels[i * NET.classes + rng.int(0, NET.classes - 1)] = 1;
  return {
    x: rng.uniform(size(NET.x)),
    labels,
    w1: rng.uniform(size(NET.w1), -0.5, 0.5),
    b1: rng.uniform(size(NET.b1), -0.1, 0.1),
    w2: rng.uniform(size(NET.w2), -0.5, 0.5),
    b2: rng.uniform(size(NET.b2), -0.1, 0.1),
  };
}

/** The network over any backend with these few ops: ours (a tape) and TF.js's. */
interface NetOps<T> {
  conv2d(x: T, w: T): T;
  add(a: T, b: T): T;
  relu(x: T): T;
  maxPool(x: T): T;
  flatten(x: T): T;
  matMul(a: T, b: T): T;
  loss(logits: T, labels: T): T;
}

function netForward<T>(o: NetOps<T>, x: T, labels: T, [w1, b1, w2, b2]: T[]): T {
  const h = o.maxPool(o.relu(o.add(o.conv2d(x, w1!), b1!)));
  return o.loss(o.add(o.matMul(o.flatten(h), w2!), b2!), labels);
}

const tfOps: NetOps<tf.Tensor> = {
  conv2d: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'),
  add: tf.add,
  relu: tf.relu,
  maxPool: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
  flatten: (x) => tf.reshape(x, [x.shape[0]!, -1]),
  matMul: (a, b) => tf.matMul(a, b),
  loss: (logits, labels) => tf.losses.softmaxCrossEntropy(labels, logits),
};

function netForwardTape(t: Tape): NetOps<Tensor> {
  return {
    conv2d: (x, w) => t.conv2d(x, w),
    add: (a, b) => t.add(a, b),
    relu: (x) => t.relu(x),
    maxPool: (x) => t.maxPool2d(x, { filterSize: 2 }),
    flatten: (x) => t.reshape(x, [x.shape[0]!, -1]),
    matMul: (a, b) => t.matMul(a, b),
    loss: (logits, labels) => t.softmaxCrossEntropy(logits, labels).loss,
  };
}

/** The same loss in float64 with plain loops, for finite differences. */
function netLoss64(d: { x: ArrayLike<number>; labels: ArrayLike<number>; w1: ArrayLike<number>; b1: ArrayLike<number>; w2: ArrayLike<number>; b2: ArrayLike<number> }): number {
  const [n, h, w, ci] = NET.x;
  const [kh, kw, , co] = NET.w1;
  const oh = h - kh + 1, ow = w - kw + 1;
  const ph = Math.floor(oh / 2), pw = Math.floor(ow / 2);
  let total = 0;
  for (let b = 0; b < n; b++) {
    const conv = new Float64Array(oh * ow * co);
    for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let o = 0; o < co; o++) {
      let s = d.b1[o]!;
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < ci; c++) {
        s += d.x[((b * h + y + i) * w + x + j) * ci + c]! * d.w1[((i * kw + j) * ci + c) * co + o]!;
      }
      conv[(y * ow + x) * co + o] = Math.max(s, 0);
    }
    const flat: number[] = [];
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) for (let o = 0; o < co; o++) {
      let m = -Infinity;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) m = Math.max(m, conv[((2 * y + i) * ow + 2 * x + j) * co + o]!);
      flat.push(m);
    }
    const logits: number[] = [];
    for (let k = 0; k < NET.classes; k++) {
      let s = d.b2[k]!;
      flat.forEach((v, i) => (s += v * d.w2[i * NET.classes + k]!));
      logits.push(s);
    }
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((a, v) => a + Math.exp(v - max), 0));
    logits.forEach((v, k) => (total -= d.labels[b * NET.classes + k]! * (v - lse)));
  }
  return total / n;
}
