import { expect } from '@esm-bundle/chai';
import { Engine } from '../../src/engine.js';
import { sharedGpu, withEngine } from '../helpers/gpu.js';

describe('buffer pool', () => {
  it('a buffer released past the pool’s cap while a recorded dispatch still writes it is destroyed only after that work is submitted', async () => {
    const { device, info } = await sharedGpu();
    // A pool that keeps nothing: every released buffer goes at once, the case of a page whose free
    // buffers have passed the cap (as after several networks' passes on one engine).
    const e = new Engine(device, info, false, 0);
    device.pushErrorScope('validation');
    try {
      const x = e.tensor([-1, 2, -3, 4], [4]);
      const y = e.relu(x); // recorded, not submitted
      const z = e.exp(y);
      y.dispose(); // its buffer leaves the pool while y's and z's dispatches wait
      const flag = e.zeros([1]);
      const got = await z.read();
      [1, Math.exp(2), 1, Math.exp(4)].forEach((v, i) => expect(got[i]).to.be.closeTo(v, 1e-5 * v));
      expect(Array.from(await flag.read()), 'a fresh zeros() holds zeros').to.deep.equal([0]);
    } finally {
      const error = await device.popErrorScope();
      e.destroy();
      expect(error?.message ?? null, 'no WebGPU error (a destroyed buffer in a submitted batch is one)').to.equal(null);
    }
  });

  it('keeps released buffers for reuse up to its cap', async () => {
    await withEngine(async (e) => {
      const a = e.zeros([256]);
      a.dispose();
      const before = e.memory();
      const b = e.zeros([256]);
      expect(e.memory().buffers).to.equal(before.buffers + 1);
      b.dispose();
    });
  });
});
