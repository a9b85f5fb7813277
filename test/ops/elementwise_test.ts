import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';
import { unaryGrad, type UnaryOp } from '../../src/ops/elementwise.js';

describe('elementwise activations', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const forward = {
    relu: (x: tf.Tensor) => tf.relu(x),
    leakyRelu: (x: tf.Tensor) => tf.leakyRelu(x, 0.13),
    sigmoid: (x: tf.Tensor) => tf.sigmoid(x),
    tanh: (x: tf.Tensor) => tf.tanh(x),
  };

  for (const [name, ref] of Object.entries(forward)) {
    gpuIt(`${name} and its gradient match TensorFlow.js on 20 random shapes`, async (e) => {
      const rng = new Rng(101);
      for (let c = 0; c < 20; c++) {
        const shape = Array.from({ length: rng.int(1, 4) }, () => rng.int(1, 7));
        const size = shape.reduce((a, b) => a * b, 1);
        const xs = rng.uniform(size, -6, 6);
        const dys = rng.uniform(size);
        const x = e.tensor(xs, shape);
        const dy = e.tensor(dys, shape);
        const op = name as keyof typeof forward;
        const y = op === 'leakyRelu' ? e.leakyRelu(x, 0.13) : e[op](x);
        const dx =
          op === 'relu' ? e.reluGrad(dy, x)
          : op === 'leakyRelu' ? e.leakyReluGrad(dy, x, 0.13)
          : op === 'sigmoid' ? e.sigmoidGrad(dy, y)
          : e.tanhGrad(dy, y);
        const tx = tf.tensor(xs, shape);
        const [refDx] = tf.grads((t: tf.Tensor) => ref(t))([tx], tf.tensor(dys, shape));
        expectShape(y.shape, shape, name);
        expectClose(await y.read(), ref(tx).dataSync(), `${name} ${JSON.stringify(shape)}`);
        expectClose(await dx.read(), refDx!.dataSync(), `${name} grad ${JSON.stringify(shape)}`);
        for (const t of [x, dy, y, dx]) t.dispose();
      }
    });
  }

  // WGSL leaves max, clamp, exp and log unspecified for NaN and ±Infinity (SwiftShader's max(NaN, 0)
  // is 0, its exp(NaN) +Infinity, its log(−1) 0), so each op gets the special values once.
  gpuIt('every unary op and activation gradient keeps NaN and ±Infinity as TensorFlow.js does', async (e) => {
    const xs = [NaN, Infinity, -Infinity, -1, 0, 0.5, 7];
    const x = e.tensor(xs, [xs.length]);
    const tx = tf.tensor(xs);
    const refs: Record<string, (t: tf.Tensor) => tf.Tensor> = {
      ...forward, relu6: tf.relu6, neg: tf.neg, exp: tf.exp, log: tf.log, square: tf.square, sqrt: tf.sqrt, rsqrt: tf.rsqrt, abs: tf.abs,
    };
    for (const [op, ref] of Object.entries(refs)) {
      const alpha = op === 'leakyRelu' ? 0.13 : 0;
      const y = e.unary(op as UnaryOp, x, alpha);
      expectSameNonFinite(await y.read(), ref(tx).dataSync(), op);
      if (op in forward || op === 'relu6') {
        // The gradient kernels read the forward input (relu, leaky relu) or output (the others).
        const saved = op === 'relu' || op === 'leakyRelu' ? x : y;
        const dx = unaryGrad(e, op as UnaryOp, e.tensor(new Float32Array(xs.length).fill(2), [xs.length]), saved, alpha);
        const [refDx] = tf.grads((t: tf.Tensor) => ref(t))([tx], tf.fill([xs.length], 2));
        expectSameNonFinite(await dx.read(), refDx!.dataSync(), `${op} gradient`);
      }
    }
  });

  gpuIt('sigmoid and tanh stay finite for huge inputs', async (e) => {
    const x = e.tensor([-1e6, -100, 0, 100, 1e6], [5]);
    const s = await e.sigmoid(x).read();
    const t = await e.tanh(x).read();
    expect([...s]).to.deep.equal([0, 0, 0.5, 1, 1].map((v, i) => (i === 1 ? s[1]! : v)));
    expect(s[1]).to.be.lessThan(1e-30);
    expect([...t]).to.deep.equal([-1, -1, 0, 1, 1]);
  });

  gpuIt('a gradient with mismatched shapes names the op and both shapes', async (e) => {
    const dy = e.tensor([1, 2, 3], [3]);
    const x = e.tensor([1, 2], [2]);
    expectThrowsNoLeak(e, () => e.reluGrad(dy, x), /reluGrad: dy \[3\] and x \[2\]/);
    const y = e.relu(dy);
    expect(Array.from(await y.read())).to.deep.equal([1, 2, 3]);
  });
});
