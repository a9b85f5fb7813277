import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import { poolReference, pooledShape, type PoolReferenceCase } from '../helpers/pool_reference.js';
import type { Pool2dOptions } from '../../src/ops/pool.js';
import type { Engine } from '../../src/engine.js';

/**
 * The ONNX pooling options (ceilMode, countIncludePad, dilations) against a plain-loop reference
 * (test/helpers/pool_reference.ts), which is itself checked against TF.js where TF.js has the same
 * semantics; and against TF.js directly where a composition of its ops expresses the option.
 */
type Case = PoolReferenceCase;
type Pair = [number, number];
type TfPad = [[number, number], [number, number], [number, number], [number, number]];

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const label = (c: Case) => JSON.stringify(c);
const PATHS = ['auto', 'scalar'] as const;

function optsOf(c: Case): Pool2dOptions {
  const [t, b, l, r] = c.pads;
  return { filterSize: [...c.filter] as Pair, strides: [...c.strides] as Pair, dilations: [...c.dilations] as Pair, pad: [[t, b], [l, r]], ceilMode: c.ceilMode, countIncludePad: c.countIncludePad };
}

const base = { dilations: [1, 1] as const, pads: [0, 0, 0, 0] as const, ceilMode: false, countIncludePad: false };

const NAMED: Case[] = [
  // GoogLeNet-style 3×3 stride-2 ceil-mode pool: 8 → 3 (floor) or 4 (ceil) per axis.
  { ...base, shape: [1, 8, 8, 3], filter: [3, 3], strides: [2, 2], ceilMode: true },
  // The ceil window that would start in the end padding is dropped: 5 + 1 + 1 with k 2, s 2 gives 3, not 4.
  { ...base, shape: [2, 5, 5, 2], filter: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true },
  // Ceil mode with stride past the window (gaps) and asymmetric pads.
  { ...base, shape: [1, 9, 7, 4], filter: [2, 3], strides: [3, 2], pads: [1, 0, 0, 2], ceilMode: true },
  // count_include_pad, symmetric and asymmetric pads, overlapping and not.
  { ...base, shape: [1, 6, 6, 4], filter: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], countIncludePad: true },
  { ...base, shape: [2, 5, 7, 3], filter: [3, 2], strides: [2, 2], pads: [2, 0, 1, 1], countIncludePad: true },
  // count_include_pad with ceil mode: the overhang past the padding does not count.
  { ...base, shape: [1, 7, 7, 2], filter: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true, ceilMode: true },
  { ...base, shape: [1, 6, 5, 8], filter: [2, 2], strides: [2, 2], pads: [0, 1, 1, 0], countIncludePad: true, ceilMode: true },
  // Dilations: overlapping spans, then spans with gaps between windows.
  { ...base, shape: [1, 9, 9, 4], filter: [3, 3], strides: [1, 1], dilations: [2, 2] },
  { ...base, shape: [2, 8, 9, 3], filter: [2, 2], strides: [3, 4], dilations: [2, 3], pads: [1, 0, 0, 1] },
  { ...base, shape: [1, 10, 8, 2], filter: [3, 2], strides: [2, 1], dilations: [3, 2], pads: [2, 2, 1, 1], ceilMode: true },
  { ...base, shape: [1, 7, 8, 4], filter: [2, 3], strides: [2, 2], dilations: [2, 2], pads: [1, 1, 2, 0], countIncludePad: true, ceilMode: true },
];

function randomCase(rng: Rng): Case {
  for (;;) {
    const filter: Pair = [rng.int(1, 4), rng.int(1, 4)];
    const dilations: Pair = [rng.pick([1, 1, 2, 3]), rng.pick([1, 1, 2])];
    const pads = [0, 1, 2, 3].map((i) => rng.int(0, filter[i < 2 ? 0 : 1] - 1)) as unknown as [number, number, number, number];
    const c: Case = {
      shape: [rng.int(1, 2), rng.int(2, 10), rng.int(2, 10), rng.pick([1, 2, 3, 4, 6, 8])],
      filter, dilations, pads,
      strides: [rng.int(1, 3), rng.int(1, 3)],
      ceilMode: rng.next() < 0.6,
      countIncludePad: rng.next() < 0.5,
    };
    const out = pooledShape(c);
    if (out[1]! >= 1 && out[2]! >= 1) return c;
  }
}

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  return [...NAMED, ...Array.from({ length: count }, () => randomCase(rng))];
}

/** Distinct values in every other case; ties (values from {0, 1, 2}) in the rest. */
function inputs(rng: Rng, c: Case, i: number): Float32Array {
  const n = sizeOf(c.shape);
  return i % 2 === 0 ? rng.uniform(n, -3, 3) : Float32Array.from({ length: n }, () => rng.int(0, 2));
}

async function checkAgainstReference(e: Engine, kind: 'max' | 'avg') {
  for (const path of PATHS) {
    e.tuning.pool = path;
    const rng = new Rng(kind === 'max' ? 91 : 92);
    for (const [i, c0] of cases(kind === 'max' ? 9101 : 9201, 16).entries()) {
      const c = kind === 'max' ? { ...c0, countIncludePad: false } : c0;
      const xs = inputs(rng, c, i);
      const yShape = pooledShape(c);
      const dys = rng.uniform(sizeOf(yShape));
      const ref = poolReference(kind, c, xs, dys);
      const x = e.tensor(xs, [...c.shape]);
      const dy = e.tensor(dys, yShape);
      const y = kind === 'max' ? e.maxPool2d(x, optsOf(c)) : e.avgPool2d(x, optsOf(c));
      const dx = kind === 'max' ? e.maxPool2dGrad(dy, x, optsOf(c)) : e.avgPool2dGrad(dy, [...c.shape], optsOf(c));
      expectShape(y.shape, yShape, label(c));
      expectClose(await y.read(), ref.y, `${kind} ${path} ${label(c)}`);
      expectClose(await dx.read(), ref.dx, `${kind} grad ${path} ${label(c)}`);
      for (const t of [x, dy, y, dx]) t.dispose();
    }
  }
}

describe('pooling options (ceilMode, countIncludePad, dilations)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('the plain-loop reference agrees with tf.maxPool, tf.avgPool and their gradients on the options TF.js has', () => {
    const rng = new Rng(90);
    const tfCases: Case[] = [
      { ...base, shape: [2, 7, 6, 3], filter: [3, 3], strides: [2, 2], pads: [1, 2, 0, 2] },
      { ...base, shape: [1, 9, 9, 2], filter: [2, 3], strides: [1, 2], pads: [0, 1, 1, 1] },
      { ...base, shape: [1, 5, 6, 1], filter: [2, 2], strides: [2, 2] },
    ];
    for (const c of tfCases) {
      const xs = rng.uniform(sizeOf(c.shape));
      const dys = rng.uniform(sizeOf(pooledShape(c)));
      const pad: TfPad = [[0, 0], [c.pads[0], c.pads[1]], [c.pads[2], c.pads[3]], [0, 0]];
      for (const kind of ['max', 'avg'] as const) {
        const ref = poolReference(kind, c, xs, dys);
        const f = (t: tf.Tensor) => (kind === 'max' ? tf.maxPool : tf.avgPool)(t as tf.Tensor4D, c.filter as Pair, c.strides as Pair, pad);
        const tx = tf.tensor(xs, [...c.shape]);
        expectClose(ref.y, f(tx).dataSync(), `reference ${kind} ${label(c)}`, 1e-6);
        // TF.js's avg gradient is not its forward's where windows cover padding (see pool_test.ts).
        if (kind === 'max') {
          const [dx] = tf.grads(f)([tx], tf.tensor(dys, ref.shape));
          expectClose(ref.dx, dx!.dataSync(), `reference ${kind} grad ${label(c)}`, 1e-6);
        }
      }
    }
  });

  gpuIt(`maxPool2d and maxPool2dGrad with dilations and ceil mode match the reference on ${NAMED.length} named and 16 random cases, ties included, on both paths`, (e) => checkAgainstReference(e, 'max'));
  gpuIt(`avgPool2d and avgPool2dGrad with dilations, ceil mode and countIncludePad match the reference on ${NAMED.length} named and 16 random cases, on both paths`, (e) => checkAgainstReference(e, 'avg'));

  gpuIt('ceil mode equals tf.maxPool and tf.avgPool with the end padding extended to fit the last window (forward, and max through tf.grads)', async (e) => {
    const rng = new Rng(93);
    for (const c of NAMED.filter((k) => k.ceilMode && k.dilations[0] === 1 && k.dilations[1] === 1 && !k.countIncludePad)) {
      const out = pooledShape(c);
      const extra = (len: number, o: number, k: number, s: number, before: number, after: number) => Math.max(0, (o - 1) * s + k - (len + before + after));
      const pad: TfPad = [[0, 0],
        [c.pads[0], c.pads[1] + extra(c.shape[1]!, out[1]!, c.filter[0], c.strides[0], c.pads[0], c.pads[1])],
        [c.pads[2], c.pads[3] + extra(c.shape[2]!, out[2]!, c.filter[1], c.strides[1], c.pads[2], c.pads[3])], [0, 0]];
      const xs = rng.uniform(sizeOf(c.shape));
      const dys = rng.uniform(sizeOf(out));
      const tx = tf.tensor(xs, [...c.shape]);
      const x = e.tensor(xs, [...c.shape]);
      for (const kind of ['max', 'avg'] as const) {
        const f = (t: tf.Tensor) => (kind === 'max' ? tf.maxPool : tf.avgPool)(t as tf.Tensor4D, c.filter as Pair, c.strides as Pair, pad);
        const want = f(tx);
        expectShape(want.shape, out, `TF.js's shape ${label(c)}`);
        const y = kind === 'max' ? e.maxPool2d(x, optsOf(c)) : e.avgPool2d(x, optsOf(c));
        expectClose(await y.read(), want.dataSync(), `${kind} ceil vs TF.js ${label(c)}`);
        if (kind === 'max') {
          const [dx] = tf.grads(f)([tx], tf.tensor(dys, out));
          expectClose(await e.maxPool2dGrad(e.tensor(dys, out), x, optsOf(c)).read(), dx!.dataSync(), `max grad ceil vs TF.js ${label(c)}`);
        }
      }
    }
  });

  gpuIt('countIncludePad equals tf.avgPool of the input zero-padded with tf.pad (forward and tf.grads)', async (e) => {
    const rng = new Rng(94);
    for (const c of NAMED.filter((k) => k.countIncludePad && !k.ceilMode && k.dilations[0] === 1)) {
      const xs = rng.uniform(sizeOf(c.shape));
      const out = pooledShape(c);
      const dys = rng.uniform(sizeOf(out));
      const f = (t: tf.Tensor) => tf.avgPool(tf.pad(t, [[0, 0], [c.pads[0], c.pads[1]], [c.pads[2], c.pads[3]], [0, 0]]) as tf.Tensor4D, c.filter as Pair, c.strides as Pair, 'valid');
      const tx = tf.tensor(xs, [...c.shape]);
      const [dx] = tf.grads(f)([tx], tf.tensor(dys, out));
      const x = e.tensor(xs, [...c.shape]);
      expectClose(await e.avgPool2d(x, optsOf(c)).read(), f(tx).dataSync(), `countIncludePad vs TF.js ${label(c)}`);
      expectClose(await e.avgPool2dGrad(e.tensor(dys, out), [...c.shape], optsOf(c)).read(), dx!.dataSync(), `countIncludePad grad vs TF.js ${label(c)}`);
    }
  });

  gpuIt('dilated max pooling equals tf.pool with dilations (stride 1, valid) and its tf.grads', async (e) => {
    const rng = new Rng(95);
    const dilated: Case[] = [
      { ...base, shape: [1, 9, 9, 4], filter: [3, 3], strides: [1, 1], dilations: [2, 2] },
      { ...base, shape: [2, 8, 7, 3], filter: [2, 3], strides: [1, 1], dilations: [3, 2] },
    ];
    for (const c of dilated) {
      const xs = rng.uniform(sizeOf(c.shape));
      const f = (t: tf.Tensor) => tf.pool(t as tf.Tensor4D, c.filter as Pair, 'max', 'valid', c.dilations as Pair, 1);
      const tx = tf.tensor(xs, [...c.shape]);
      const want = f(tx);
      const dys = rng.uniform(sizeOf(want.shape));
      const [dx] = tf.grads(f)([tx], tf.tensor(dys, want.shape));
      const x = e.tensor(xs, [...c.shape]);
      const y = e.maxPool2d(x, optsOf(c));
      expectShape(y.shape, want.shape, label(c));
      expectClose(await y.read(), want.dataSync(), `dilated max vs tf.pool ${label(c)}`);
      expectClose(await e.maxPool2dGrad(e.tensor(dys, want.shape), x, optsOf(c)).read(), dx!.dataSync(), `dilated max grad vs tf.pool ${label(c)}`);
    }
  });

  gpuIt('options also apply to one [h, w, c] image, and bad options throw naming the op', async (e) => {
    const c = NAMED[5]!;
    const xs = new Rng(96).uniform(sizeOf(c.shape));
    const y = e.avgPool2d(e.tensor(xs, c.shape.slice(1)), optsOf(c));
    expectShape(y.shape, pooledShape(c).slice(1), 'one image');
    expectClose(await y.read(), poolReference('avg', c, xs).y, 'one image');
    const x = e.tensor(new Float32Array(16), [1, 4, 4, 1]);
    expectThrowsNoLeak(e, () => e.maxPool2d(x, { filterSize: 2, countIncludePad: true }), /maxPool2d: countIncludePad applies to avgPool2d only/);
    expectThrowsNoLeak(e, () => e.avgPool2d(x, { filterSize: 2, ceilMode: 1 as unknown as boolean }), /avgPool2d: ceilMode must be true or false, got 1/);
    expectThrowsNoLeak(e, () => e.maxPool2d(x, { filterSize: 2, dilations: 0 }), /maxPool2d: dilations must be a positive integer/);
    expectThrowsNoLeak(e, () => e.maxPool2d(x, { filterSize: 3, dilations: 2 }), /maxPool2d: the 3×3 window \(dilations 2×2, effective 5×5\) is larger than the padded input/);
    expectShape(e.maxPool2d(x, { filterSize: 3, strides: 2, pad: [[0, 0], [0, 0]], ceilMode: true }).shape, [1, 2, 2, 1], 'valid call after errors');
  });
});
