import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { sequential } from '../../src/nn/sequential.js';
import { Tape } from '../../src/autograd/tape.js';
import type { Engine } from '../../src/engine.js';

/** Dispatches recorded while `run` executes, as `shader.entry`. */
function dispatchesOf(e: Engine, run: () => void): string[] {
  const seen: string[] = [];
  const stop = e.observeDispatches((d) => seen.push(`${d.shader}.${d.entry}`));
  try {
    run();
  } finally {
    stop();
  }
  return seen;
}

describe('layers with a bias and an activation', () => {
  gpuIt('Conv2D, DepthwiseConv2D and Dense are one dispatch each in inference', async (e) => {
    const model = sequential(e, {
      inputShape: [8, 8, 4],
      layers: [
        { className: 'Conv2D', config: { filters: 8, kernel_size: 3, activation: 'relu', bias_initializer: 'ones' } },
        { className: 'DepthwiseConv2D', config: { kernel_size: 3, activation: 'relu6', padding: 'same' } },
        { className: 'Conv2D', config: { filters: 4, kernel_size: 1, activation: 'leaky_relu' } },
        { className: 'Flatten' },
        { className: 'Dense', config: { units: 5, activation: 'tanh' } },
        { className: 'Dense', config: { units: 3, activation: 'sigmoid' } },
      ],
    });
    const x = e.tensor(new Rng(3).uniform(2 * 8 * 8 * 4), [2, 8, 8, 4]);
    const acts = model.run(x);
    for (const name of ['conv2d', 'depthwise_conv2d', 'conv2d_1', 'dense', 'dense_1']) {
      const layer = model.layer(name);
      const previous = model.layers[model.layers.indexOf(layer) - 1]!;
      let out: { dispose(): void } | null = null;
      const seen = dispatchesOf(e, () => {
        out = layer.call(e, [acts.outputs.get(previous.name)!], false);
      });
      expect(seen, name).to.have.length(1);
      out!.dispose();
    }
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('a fused conv layer computes what its unfused ops compute, forward and through the tape', async (e) => {
    const rng = new Rng(4);
    const model = sequential(e, {
      inputShape: [6, 6, 3],
      layers: [{ className: 'Conv2D', config: { filters: 4, kernel_size: 3, activation: 'sigmoid', bias_initializer: 'glorot_uniform' } }],
    });
    const layer = model.layer('conv2d');
    const x = e.tensor(rng.uniform(6 * 6 * 3, -2, 2), [1, 6, 6, 3]);
    const weight = (name: string) => model.namedWeights().find((w) => w.name === name)!.tensor;
    const [kernel, bias] = [weight('conv2d/kernel'), weight('conv2d/bias')];
    const fused = layer.call(e, [x], false);
    const conv = e.conv2d(x, kernel);
    const biased = e.add(conv, bias);
    const reference = e.sigmoid(biased);
    expectClose(await fused.read(), await reference.read(), 'forward');

    const r = e.tensor(rng.uniform(fused.size), fused.shape);
    const tape = new Tape(e);
    const loss = tape.sum(tape.mul(layer.call(tape, [x], true), r));
    const grads = tape.backward(loss, [kernel, bias]);
    const plain = new Tape(e);
    const ref = plain.sigmoid(plain.add(plain.conv2d(x, kernel), bias));
    const refGrads = plain.backward(plain.sum(plain.mul(ref, r)), [kernel, bias]);
    expectClose(await grads.get(kernel)!.read(), await refGrads.get(kernel)!.read(), 'd/dkernel');
    expectClose(await grads.get(bias)!.read(), await refGrads.get(bias)!.read(), 'd/dbias');
    tape.dispose();
    plain.dispose();
    for (const t of [x, fused, conv, biased, reference, r, ...grads.values(), ...refGrads.values()]) t.dispose();
    model.dispose();
    expect(e.memory().buffers).to.equal(0);
  });
});
