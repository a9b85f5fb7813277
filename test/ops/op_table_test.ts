import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { Tape } from '../../src/autograd/tape.js';
import { opTable, type DifferentiableOpName } from '../../src/ops/table.js';
import type { Ops } from '../../src/autograd/ops.js';
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';

/**
 * Walks the op table: every differentiable op's tape gradient against central finite differences
 * of its own forward (L = Σ y·r for a random r), on inputs kept away from kinks and poles.
 */
type Gen = (rng: Rng, n: number) => Float32Array;
interface Case {
  inputs: Record<string, [shape: number[], gen?: Gen]>;
  call(ops: Ops, t: Record<string, Tensor>): Tensor;
}

/** Values in ±[0.2, 1]: clear of relu's and abs's kink by more than the step. */
const signed: Gen = (rng, n) => Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * (0.2 + 0.8 * rng.next()));
const positive: Gen = (rng, n) => rng.uniform(n, 0.5, 2);
/** Distinct values at least 0.05 apart, shuffled: max pooling never has a near tie. */
const distinct: Gen = (rng, n) => {
  const v = Float32Array.from({ length: n }, (_, i) => -1 + 0.05 * i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
};
const softLabels: Gen = (rng, n) => rng.uniform(n, 0, 1);

const unaryCase = (call: (ops: Ops, x: Tensor) => Tensor, gen: Gen = signed): Case => ({
  inputs: { x: [[2, 5], gen] },
  call: (ops, t) => call(ops, t.x!),
});
const binaryCase = (call: (ops: Ops, a: Tensor, b: Tensor) => Tensor, bGen: Gen = signed): Case => ({
  inputs: { a: [[2, 3]], b: [[3], bGen] },
  call: (ops, t) => call(ops, t.a!, t.b!),
});

// Typed by name: a differentiable op without a case here does not compile. An op whose options
// switch to other kernels has one case per switch.
const cases: Record<DifferentiableOpName, Case | Case[]> = {
  conv2d: [{
    inputs: { x: [[1, 4, 5, 3]], w: [[3, 3, 3, 2]], b: [[2]] },
    call: (ops, t) => ops.conv2d(t.x!, t.w!, { pad: 'same', strides: [1, 2], bias: t.b!, activation: 'tanh' }),
  }, {
    inputs: { x: [[1, 4, 4, 4]], w: [[2, 2, 2, 6]], b: [[6]] },
    call: (ops, t) => ops.conv2d(t.x!, t.w!, { pad: 'same', groups: 2, bias: t.b!, activation: 'sigmoid' }),
  }],
  depthwiseConv2d: {
    inputs: { x: [[1, 4, 4, 2]], w: [[2, 2, 2, 2]], b: [[4]] },
    call: (ops, t) => ops.depthwiseConv2d(t.x!, t.w!, { pad: 'valid', bias: t.b!, activation: 'sigmoid' }),
  },
  maxPool2d: [
    { inputs: { x: [[1, 4, 4, 2], distinct] }, call: (ops, t) => ops.maxPool2d(t.x!, { filterSize: 2, strides: 2 }) },
    { inputs: { x: [[1, 6, 5, 2], distinct] }, call: (ops, t) => ops.maxPool2d(t.x!, { filterSize: 2, strides: 2, dilations: [2, 1], pad: [[1, 0], [0, 1]], ceilMode: true }) },
  ],
  avgPool2d: [
    { inputs: { x: [[1, 5, 5, 2]] }, call: (ops, t) => ops.avgPool2d(t.x!, { filterSize: 3, strides: 2, pad: 'same' }) },
    { inputs: { x: [[1, 6, 5, 2]] }, call: (ops, t) => ops.avgPool2d(t.x!, { filterSize: 3, strides: 2, pad: 1, ceilMode: true, countIncludePad: true }) },
  ],
  relu: unaryCase((ops, x) => ops.relu(x)),
  leakyRelu: unaryCase((ops, x) => ops.leakyRelu(x, 0.3)),
  relu6: unaryCase((ops, x) => ops.relu6(x)),
  sigmoid: unaryCase((ops, x) => ops.sigmoid(x)),
  tanh: unaryCase((ops, x) => ops.tanh(x)),
  neg: unaryCase((ops, x) => ops.neg(x)),
  exp: unaryCase((ops, x) => ops.exp(x)),
  log: unaryCase((ops, x) => ops.log(x), positive),
  sqrt: unaryCase((ops, x) => ops.sqrt(x), positive),
  rsqrt: unaryCase((ops, x) => ops.rsqrt(x), positive),
  square: unaryCase((ops, x) => ops.square(x)),
  abs: unaryCase((ops, x) => ops.abs(x)),
  unary: unaryCase((ops, x) => ops.unary('leakyRelu', x, 0.1)),
  add: binaryCase((ops, a, b) => ops.add(a, b)),
  sub: binaryCase((ops, a, b) => ops.sub(ops.mul(a, 3), b)),
  mul: binaryCase((ops, a, b) => ops.mul(a, b)),
  div: binaryCase((ops, a, b) => ops.div(ops.add(a, 2), b), positive),
  matMul: {
    inputs: { a: [[4, 3]], b: [[4, 5]], bias: [[5]] },
    call: (ops, t) => ops.matMul(t.a!, t.b!, { transposeA: true, bias: t.bias!, activation: 'sigmoid' }),
  },
  softmax: { inputs: { x: [[2, 5]] }, call: (ops, t) => ops.softmax(t.x!) },
  logSoftmax: { inputs: { x: [[2, 5]] }, call: (ops, t) => ops.logSoftmax(t.x!) },
  softmaxCrossEntropy: {
    inputs: { logits: [[3, 4]], labels: [[3, 4], softLabels] },
    call: (ops, t) => ops.softmaxCrossEntropy(t.logits!, t.labels!).loss,
  },
  sum: { inputs: { x: [[2, 3, 4]] }, call: (ops, t) => ops.sum(t.x!, [1]) },
  mean: { inputs: { x: [[2, 3, 4]] }, call: (ops, t) => ops.mean(t.x!, [0, 2]) },
  batchNorm: {
    inputs: { x: [[2, 3, 4]], m: [[4]], v: [[4], positive], o: [[4]], s: [[4]] },
    call: (ops, t) => ops.batchNorm(t.x!, t.m!, t.v!, t.o!, t.s!, 1e-3),
  },
  pad: { inputs: { x: [[2, 3]] }, call: (ops, t) => ops.pad(t.x!, [[1, 0], [2, 1]], 0.5) },
  slice: { inputs: { x: [[3, 4]] }, call: (ops, t) => ops.slice(t.x!, [1, 1], [2, -1]) },
  concat: { inputs: { a: [[2, 3]], b: [[2, 2]] }, call: (ops, t) => ops.concat([t.a!, t.b!], 1) },
  reshape: { inputs: { x: [[2, 6]] }, call: (ops, t) => ops.reshape(t.x!, [3, 4]) },
  transpose: { inputs: { x: [[2, 3, 4]] }, call: (ops, t) => ops.transpose(t.x!, [2, 0, 1]) },
  clip: unaryCase((ops, x) => ops.clip(x, -0.5, 0.6)),
  resize: [
    { inputs: { x: [[1, 3, 4, 2]] }, call: (ops, t) => ops.resize(t.x!, { size: [5, 7], mode: 'linear', coordinateTransform: 'half_pixel' }) },
    { inputs: { x: [[1, 4, 3, 2]] }, call: (ops, t) => ops.resize(t.x!, { size: [3, 7], mode: 'nearest', coordinateTransform: 'asymmetric', nearestMode: 'floor' }) },
  ],
  affineWarp: { inputs: { x: [[2, 5, 4, 2]] }, call: (ops, t) => ops.affineWarp(t.x!, { matrices: [0.93, 0.21, 0.3, -0.18, 1.07, -0.45, 1.1, -0.05, -0.6, 0.1, 0.9, 0.35], fill: 0.4 }) },
  localResponseNormalization: [
    { inputs: { x: [[1, 2, 2, 5]] }, call: (ops, t) => ops.localResponseNormalization(t.x!, { depthRadius: 1, bias: 1, alpha: 0.8, beta: 0.75 }) },
    { inputs: { x: [[1, 2, 1, 6]] }, call: (ops, t) => ops.localResponseNormalization(t.x!, { before: 1, after: 2, bias: 1.5, alpha: 0.6, beta: 0.6 }) },
  ],
};

const EPS = 1e-2;

/** Σ y·r for the forward at these values, as a [1] tensor (read later, all at once). */
function lossAt(e: Engine, c: Case, values: Record<string, Float32Array>, r: Tensor): Tensor {
  const t = Object.fromEntries(Object.entries(c.inputs).map(([name, [shape]]) => [name, e.tensor(values[name]!, shape)]));
  // A tape as the forward's owner: disposing it frees every intermediate the case made.
  const owner = new Tape(e);
  const y = c.call(owner, t);
  const yr = e.mul(y, r);
  const l = e.sum(yr);
  const out = e.reshape(l, [1]);
  owner.dispose();
  for (const x of [...Object.values(t), yr, l]) x.dispose();
  return out;
}

describe('the op table', () => {
  it('has a finite-difference case for every differentiable op and no other', () => {
    const differentiable = Object.entries(opTable).filter(([, d]) => d.kind === 'differentiable').map(([n]) => n).sort();
    expect(Object.keys(cases).sort()).to.deep.equal(differentiable);
  });

  it('gives every op a method on the engine and every differentiable one on the tape', () => {
    for (const [name, def] of Object.entries(opTable)) {
      expect(typeof (Tape.prototype as unknown as Record<string, unknown>)[name], `tape.${name}`).to.equal(def.kind === 'differentiable' ? 'function' : 'undefined');
    }
  });

  const flat = Object.entries(cases).flatMap(([name, c]) => (Array.isArray(c) ? c.map((k, i) => [i === 0 ? name : `${name} #${i + 1}`, k] as const) : [[name, c] as const]));
  for (const [name, c] of flat) {
    gpuIt(`${name}: the tape's gradient matches central finite differences of the forward`, async (e) => {
      const rng = new Rng(name.length * 97 + name.charCodeAt(0));
      const values = Object.fromEntries(Object.entries(c.inputs).map(([n, [shape, gen]]) => {
        const size = shape.reduce((p, d) => p * d, 1);
        return [n, (gen ?? ((g: Rng, k: number) => g.uniform(k)))(rng, size)];
      }));
      const tape = new Tape(e);
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([n, [shape]]) => [n, e.tensor(values[n]!, shape)]));
      const y = c.call(tape, inputs);
      const r = e.tensor(rng.uniform(y.size), y.shape);
      const loss = tape.sum(tape.mul(y, r));
      const grads = tape.backward(loss, Object.values(inputs));

      for (const [n, x] of Object.entries(inputs)) {
        const perturbed: Tensor[] = [];
        const base = values[n]!;
        for (let i = 0; i < base.length; i++) {
          for (const sign of [1, -1]) {
            const v = Float32Array.from(base);
            v[i] = base[i]! + sign * EPS;
            perturbed.push(lossAt(e, c, { ...values, [n]: v }, r));
          }
        }
        const all = e.concat(perturbed, 0);
        const l = await all.read();
        const numeric = Array.from({ length: base.length }, (_, i) => (l[2 * i]! - l[2 * i + 1]!) / (2 * EPS));
        const analytic = await grads.get(x)!.read();
        const scale = Math.max(1, ...numeric.map(Math.abs));
        numeric.forEach((want, i) => {
          expect(Math.abs(analytic[i]! - want), `${name}: d/d${n}[${i}] = ${analytic[i]} vs ${want}`).to.be.below(2e-2 * scale);
        });
        for (const p of [...perturbed, all]) p.dispose();
      }
      tape.dispose();
      for (const t of [...Object.values(inputs), r, ...grads.values()]) t.dispose();
      expect(e.memory().buffers, 'every buffer freed').to.equal(0);
    });
  }
});
