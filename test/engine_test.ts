import { expect } from '@esm-bundle/chai';
import { createEngine, Engine } from '../src/index.js';
import { gpuIt } from './helpers/gpu.js';
import { expectThrowsNoLeak } from './helpers/no_leak.js';
import { Rng } from './helpers/random.js';
import { sizeClass } from '../src/gpu/buffer_pool.js';

describe('engine', () => {
  gpuIt('memory() and the pipeline cache stay flat over 1,000 forward+backward passes with disposal', async (e) => {
    const rng = new Rng(3);
    const w = e.tensor(rng.uniform(3 * 3 * 2 * 4), [3, 3, 2, 4]);
    const bias = e.tensor(rng.uniform(4), [4]);
    const pass = () => {
      const x = e.tensor(rng.uniform(2 * 6 * 6 * 2), [2, 6, 6, 2]);
      const z = e.conv2d(x, w, { pad: 'same' });
      const zb = e.add(z, bias);
      const a = e.relu(zb);
      const p = e.maxPool2d(a, { filterSize: 2, strides: 2 });
      const dp = e.mul(p, p);
      const da = e.maxPool2dGrad(dp, a, { filterSize: 2, strides: 2 });
      const dz = e.reluGrad(da, zb);
      const dw = e.conv2dGradFilter(x, dz, w.shape, { pad: 'same' });
      const dx = e.conv2dGradInput(dz, w, x.shape, { pad: 'same' });
      const loss = e.mean(dw);
      for (const t of [x, z, zb, a, p, dp, da, dz, dw, dx]) t.dispose();
      return loss;
    };
    (await pass().read(), undefined);
    const start = e.memory();
    const pipelines = e.pipelines.size;
    let bindGroups = 0;
    let last: Float32Array = new Float32Array(0);
    for (let i = 0; i < 1000; i++) {
      const loss = pass();
      if (i % 250 === 249) last = await loss.read();
      // Pooled buffers trade places between tensors for a while; after that the combinations repeat.
      if (i === 499) bindGroups = e.scheduler.cachedBindGroups;
      loss.dispose();
    }
    expect(Number.isFinite(last[0]!)).to.equal(true);
    const end = e.memory();
    expect(end.buffers, 'live buffers').to.equal(start.buffers);
    expect(end.bytes, 'live bytes').to.equal(start.bytes);
    expect(end.pooledBytes, 'pooled bytes').to.be.at.most(start.pooledBytes + 64 * 1024);
    expect(e.pipelines.size, 'pipelines compiled').to.equal(pipelines);
    expect(e.scheduler.cachedBindGroups, 'bind groups made in the second 500 passes').to.equal(bindGroups);
  });

  gpuIt('a bind group kept from an earlier batch serves only the same buffers', async (e) => {
    const a = e.tensor([1, -2, 3, -4], [4]);
    const b = e.tensor([-5, 6, -7, 8], [4]);
    const results: number[][] = [];
    for (let round = 0; round < 3; round++) {
      for (const x of [a, b]) {
        const y = e.relu(x);
        results.push([...(await y.read())]);
        y.dispose();
      }
    }
    const made = e.scheduler.cachedBindGroups;
    const y = e.relu(a);
    results.push([...(await y.read())]);
    expect(e.scheduler.cachedBindGroups, 'reused, not remade').to.equal(made);
    expect(results).to.deep.equal([[1, 0, 3, 0], [0, 6, 0, 8], [1, 0, 3, 0], [0, 6, 0, 8], [1, 0, 3, 0], [0, 6, 0, 8], [1, 0, 3, 0]]);
  });

  gpuIt('ops queue work without submitting it until a read', async (e) => {
    const x = e.tensor([1, -2, 3, -4], [4]);
    const y = e.relu(e.relu(x));
    expect(e.scheduler.pendingCount, 'recorded, not submitted').to.be.greaterThan(1);
    expect([...(await y.read())]).to.deep.equal([1, 0, 3, 0]);
    expect(e.scheduler.pendingCount).to.equal(0);
  });

  gpuIt('dispose() returns buffers to the pool and a disposed tensor cannot be read', async (e) => {
    const before = e.memory();
    const t = e.tensor(new Float32Array(1000), [10, 100]);
    expect(e.memory().buffers).to.equal(before.buffers + 1);
    expect(e.memory().bytes).to.equal(before.bytes + sizeClass(4000));
    t.dispose();
    t.dispose();
    expect(e.memory().buffers).to.equal(before.buffers);
    let message = '';
    try {
      await t.read();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/Tensor: a tensor of shape \[10, 100\] was used after dispose\(\)/);
  });

  gpuIt('tensor() rejects bad shapes and data lengths by name', async (e) => {
    expectThrowsNoLeak(e, () => e.tensor([1, 2], [3]), /tensor: data has 2 values but shape \[3\] needs 3/);
    expectThrowsNoLeak(e, () => e.tensor([1, 2], [2, -1]), /tensor: shape \[2, -1\] must be an array of non-negative integers/);
    expectThrowsNoLeak(e, () => e.tensor([1], [1.5]), /tensor: shape/);
    expectThrowsNoLeak(e, () => e.tensor(null as unknown as number[], [1]), /tensor: data must be a Float32Array or an array of numbers, got null/);
    expectThrowsNoLeak(e, () => e.tensor(3 as unknown as number[], [1]), /tensor: data must be .*got number/);
    const empty = e.tensor([], [0, 3]);
    expect((await empty.read()).length).to.equal(0);
    expect([...(await e.tensor([7], []).read())]).to.deep.equal([7]);
  });

  gpuIt('large 1-D tensors (over 65,535 workgroups) are covered by a 2-D grid', async (e) => {
    const n = 65535 * 256 + 1000;
    const data = new Float32Array(n);
    data[n - 1] = -5;
    data[0] = 3;
    const y = await e.relu(e.tensor(data, [n])).read();
    expect(y[0]).to.equal(3);
    expect(y[n - 1]).to.equal(0);
  });

  gpuIt("rejects a tensor that belongs to another engine, before recording anything", async (e) => {
    const other = new Engine(e.device, e.info);
    try {
      const foreign = other.tensor([1, -2], [2]);
      const mine = e.tensor([3, 4], [2]);
      expectThrowsNoLeak(e, () => e.relu(foreign), /elementwise: the tensor bound to 'x' \(tensor \[2\]\) belongs to another engine/);
      expectThrowsNoLeak(e, () => e.add(mine, foreign), /belongs to another engine/);
      expect([...(await e.relu(mine).read())]).to.deep.equal([3, 4]);
    } finally {
      other.destroy();
    }
  });

  it('createEngine() rejects with a clear message when WebGPU is missing', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      let message = '';
      await createEngine().catch((err: Error) => (message = err.message));
      expect(message).to.match(/WebGPU is not available.*navigator\.gpu is missing.*Chrome/);
    } finally {
      delete (navigator as unknown as Record<string, unknown>).gpu;
    }
    expect(navigator.gpu, 'navigator.gpu restored').to.not.equal(undefined);
  });

  it('createEngine() gives a working engine on this adapter', async () => {
    const e = await createEngine();
    try {
      expect(e.info.description.length).to.be.greaterThan(0);
      expect([...(await e.tanh(e.tensor([0], [1])).read())]).to.deep.equal([0]);
    } finally {
      e.destroy();
    }
  });
});
