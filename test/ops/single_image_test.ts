import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import { expect } from '@esm-bundle/chai';

// tf.conv2d, tf.depthwiseConv2d, tf.maxPool and tf.avgPool take one image [h, w, c] as well as a
// batch; so do the engine's window ops and their gradients.
describe('window ops on a single [h, w, c] image', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('conv2d, depthwiseConv2d and the pools, forward and backward, match TF.js on rank-3 input', async (e) => {
    const rng = new Rng(31);
    const xs = rng.uniform(7 * 9 * 4);
    const x = e.tensor(xs, [7, 9, 4]);
    const tx = tf.tensor3d(xs, [7, 9, 4]);
    const before = e.memory().buffers;

    const cw = rng.uniform(3 * 3 * 4 * 5);
    const convOpts = { strides: 2, pad: 'same' as const };
    const y = e.conv2d(x, e.tensor(cw, [3, 3, 4, 5]), convOpts);
    const convRef = (a: tf.Tensor3D, b: tf.Tensor4D) => tf.conv2d(a, b, 2, 'same');
    const ty = convRef(tx, tf.tensor4d(cw, [3, 3, 4, 5]));
    expectShape(y.shape, ty.shape, 'conv2d');
    expectClose(await y.read(), ty.dataSync(), 'conv2d on one image');
    const dys = rng.uniform(ty.size);
    const [rdx, rdw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => convRef(a as tf.Tensor3D, b as tf.Tensor4D))([tx, tf.tensor4d(cw, [3, 3, 4, 5])], tf.tensor(dys, ty.shape));
    const dy = e.tensor(dys, ty.shape);
    const dx = e.conv2dGradInput(dy, e.tensor(cw, [3, 3, 4, 5]), [7, 9, 4], convOpts);
    const dw = e.conv2dGradFilter(x, dy, [3, 3, 4, 5], convOpts);
    expectShape(dx.shape, [7, 9, 4], 'conv2dGradInput');
    expectShape(dw.shape, [3, 3, 4, 5], 'conv2dGradFilter');
    expectClose(await dx.read(), rdx!.dataSync(), 'conv2dGradInput on one image');
    expectClose(await dw.read(), rdw!.dataSync(), 'conv2dGradFilter on one image');

    const dwf = rng.uniform(3 * 3 * 4 * 2);
    const dwy = e.depthwiseConv2d(x, e.tensor(dwf, [3, 3, 4, 2]), { pad: 'valid' });
    const dwRef = tf.depthwiseConv2d(tx, tf.tensor4d(dwf, [3, 3, 4, 2]), 1, 'valid');
    expectShape(dwy.shape, dwRef.shape, 'depthwiseConv2d');
    expectClose(await dwy.read(), dwRef.dataSync(), 'depthwiseConv2d on one image');

    for (const kind of ['max', 'avg'] as const) {
      const opts = { filterSize: 3, strides: 2, pad: 'valid' as const };
      const f = (a: tf.Tensor) => (kind === 'max' ? tf.maxPool(a as tf.Tensor3D, 3, 2, 'valid') : tf.avgPool(a as tf.Tensor3D, 3, 2, 'valid'));
      const ref = f(tx);
      const p = kind === 'max' ? e.maxPool2d(x, opts) : e.avgPool2d(x, opts);
      expectShape(p.shape, ref.shape, `${kind}Pool`);
      expectClose(await p.read(), ref.dataSync(), `${kind}Pool on one image`);
      const pdy = rng.uniform(ref.size);
      const [rg] = tf.grads(f)([tx], tf.tensor(pdy, ref.shape));
      const g = kind === 'max' ? e.maxPool2dGrad(e.tensor(pdy, ref.shape), x, opts) : e.avgPool2dGrad(e.tensor(pdy, ref.shape), [7, 9, 4], opts);
      expectShape(g.shape, [7, 9, 4], `${kind}Pool gradient`);
      expectClose(await g.read(), rg!.dataSync(), `${kind}Pool gradient on one image`);
    }
    // Only the results above are alive: the batch-of-one copies were freed.
    expect(e.memory().buffers - before, "tensors alive: 8 conv/depthwise + 2 × 3 pool").to.equal(14);
  });
});
