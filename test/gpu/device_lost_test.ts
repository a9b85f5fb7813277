import { expect } from '@esm-bundle/chai';
import { createEngine, DeviceLostError, Engine, explain, saveLayersModel, sequential, sgd, tiny, type Dataset } from '../../src/index.js';
import { sharedGpu, withOwnEngine } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';

const LOST = /the GPU was lost.*create a new engine/;

/** `promise` settles within `ms` (a lost device must never leave a caller waiting). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms))]);
}

/** What `run` threw or rejected with (null: nothing). */
async function thrown(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return null;
  } catch (err) {
    return err;
  }
}

function expectLost(err: unknown, op: string): void {
  expect(err, `${op} failed`).to.be.instanceOf(DeviceLostError);
  expect((err as Error).message, op).to.match(LOST);
}

describe('a lost GPU device', () => {
  it('every later call throws a DeviceLostError naming the loss: tensors, ops, read, sync, predict, fit, save, explain', () =>
    withOwnEngine(async (e) => {
      const rng = new Rng(4);
      const model = sequential(e, { inputShape: tiny.inputShape, layers: tiny.layers, seed: 3 });
      const x = e.tensor(rng.uniform(28 * 28), [1, 28, 28, 1]);
      const w = e.tensor(rng.uniform(9), [3, 3, 1, 1]);
      const kept = e.relu(x);
      await kept.read();
      const data: Dataset = { count: 4, xShape: [28, 28, 1], classes: 10, x: rng.uniform(4 * 28 * 28), y: new Float32Array(40).fill(0.1) };

      e.device.destroy();
      const info = await within(e.lost, 2000, 'engine.lost');
      expect(info.reason).to.equal('destroyed');
      expect(e.isLost).to.equal(true);

      const calls: [string, () => unknown][] = [
        ['tensor', () => e.tensor([1, 2], [2])],
        ['zeros', () => e.zeros([3])],
        ['relu', () => e.relu(x)],
        ['conv2d', () => e.conv2d(x, w, { pad: 'same' })],
        ['read', () => kept.read()],
        ['flush', () => e.flush()],
        ['sync', () => e.sync()],
        ['predict', () => model.predict(x)],
        ['fit', () => model.fit(data, { optimizer: sgd({ learningRate: 0.1 }), epochs: 1, batchSize: 4 })],
        ['saveLayersModel', () => saveLayersModel(model)],
        ['explain.saliency', () => explain.saliency(model, x, { target: { class: 1 } })],
      ];
      for (const [op, call] of calls) expectLost(await within(thrown(call), 2000, op), op);
    }));

  it('a read waiting on the GPU when the device goes rejects with the loss instead of hanging', () =>
    withOwnEngine(async (e) => {
      const rng = new Rng(5);
      const a = e.tensor(rng.uniform(256 * 256), [256, 256]);
      let y = a;
      for (let i = 0; i < 8; i++) y = e.matMul(y, a);
      const pending = y.read();
      e.device.destroy();
      expectLost(await within(thrown(() => pending), 3000, 'the read'), 'read');
    }));

  it('losing a device the engine was given (not its own) counts too; its own destroy() is not a loss', async () => {
    const gpu = await createEngine();
    const device = gpu.device;
    const given = new Engine(device, gpu.info);
    const mine = await createEngine();
    let mineLost = false;
    void mine.lost.then(() => (mineLost = true));
    mine.destroy();
    device.destroy();
    expectLost(await within(given.lost, 2000, 'the given engine'), 'lost');
    expect(() => given.relu(given.zeros([1])), 'no engine call works').to.throw(DeviceLostError);
    await new Promise((r) => setTimeout(r, 50));
    expect(mineLost, "the engine's own destroy() is not a loss").to.equal(false);
    expect(() => mine.zeros([1])).to.throw(/this engine was destroyed/);
    given.destroy();
    gpu.destroy();
  });

  it('createEngine() works again after a loss, and the shared test device is untouched', async () => {
    const first = await createEngine();
    first.device.destroy();
    await within(first.lost, 2000, 'the loss');
    const second = await createEngine();
    try {
      expect([...(await second.relu(second.tensor([-1, 2], [2])).read())]).to.deep.equal([0, 2]);
    } finally {
      second.destroy();
      first.destroy();
    }
    const { device, info } = await sharedGpu();
    const shared = new Engine(device, info);
    try {
      expect([...(await shared.relu(shared.tensor([3, -4], [2])).read())]).to.deep.equal([3, 0]);
    } finally {
      shared.destroy();
    }
  });
});
