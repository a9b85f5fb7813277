import { expect } from '@esm-bundle/chai';
import { Engine } from '../src/index.js';
import { gpuIt, sharedGpu } from './helpers/gpu.js';
import { expectThrowsNoLeak } from './helpers/no_leak.js';

/** The device's limit on one tensor's bytes, as the engine's messages give it. */
const limitOf = (e: Engine) => Math.min(e.device.limits.maxStorageBufferBindingSize, e.device.limits.maxBufferSize);

describe('engine sizes and failed calls', () => {
  gpuIt('zeros and tensor refuse a shape beyond the device\'s buffer limits before allocating anything, naming the bytes and the limit', async (e) => {
    const limit = limitOf(e);
    // 8 GiB: the host array alone used to fail (RangeError: Array buffer allocation failed).
    expectThrowsNoLeak(e, () => e.zeros([2 ** 31]), new RegExp(`^zeros: a tensor of shape \\[2147483648\\] needs 8589934592 bytes \\(8\\.00 GiB\\), more than this device's limit of ${limit} bytes .*maxStorageBufferBindingSize .*maxBufferSize`));
    // 2^62 elements: a typed array of them cannot even be named (RangeError: Invalid typed array length).
    expectThrowsNoLeak(e, () => e.zeros([2 ** 31, 2 ** 31]), /^zeros: shape \[2147483648, 2147483648\] has 4611686018427388000 elements, more than any device can hold/);
    expectThrowsNoLeak(e, () => e.tensor(new Float32Array(0), [2 ** 20, 2 ** 12, 0.5]), /^tensor: shape \[1048576, 4096, 0.5\] must be an array of non-negative integers/);
    expectThrowsNoLeak(e, () => e.tensor([1, 2], [limit / 4 + 1, 2]), /^tensor: a tensor of shape .* needs \d+ bytes/);
    for (const bad of [[-1], [NaN], [2, Infinity], [1.5]]) {
      expectThrowsNoLeak(e, () => e.zeros(bad), /^zeros: shape \[.*\] must be an array of non-negative integers/);
    }
    expect([...(await e.zeros([3]).read())]).to.deep.equal([0, 0, 0]);
  });

  gpuIt('an op whose output would pass the device\'s limits names itself, the output shape, its bytes and the limit, before allocating', async (e) => {
    const one = e.tensor([1], [1, 1]);
    const px = e.tensor([1], [1, 1, 1, 1]);
    const [col, row] = [e.tensor(new Float32Array(2 ** 16), [2 ** 16, 1]), e.tensor(new Float32Array(2 ** 16), [1, 2 ** 16])];
    expectThrowsNoLeak(e, () => e.matMul(col, row),
      /^matMul: a tensor of shape \[65536, 65536\] needs 17179869184 bytes \(16\.0 GiB\), more than this device's limit/);
    expectThrowsNoLeak(e, () => e.conv2d(px, px, { pad: 40000 }), /^conv2d: a tensor of shape \[1, 80001, 80001, 1\] needs 25600640004 bytes/);
    expectThrowsNoLeak(e, () => e.pad(px, [[0, 0], [40000, 40000], [40000, 40000], [0, 0]]), /^pad: a tensor of shape \[1, 80001, 80001, 1\] needs/);
    expectThrowsNoLeak(e, () => e.resize(px, { size: [65536, 65536] }), /^resize: a tensor of shape \[1, 65536, 65536, 1\] needs/);
    expectThrowsNoLeak(e, () => e.add(col, row), /^add: a tensor of shape \[65536, 65536\] needs/);
    expect([...(await e.matMul(one, one).read())]).to.deep.equal([1]);
  });

  gpuIt('an op given a tensor of another engine throws and frees what it made: five failed calls leave memory() as it was', async (e) => {
    const { device, info } = await sharedGpu();
    const other = new Engine(device, info);
    try {
      const foreign = other.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
      const x = e.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
      const x2 = e.tensor([1, 2, 3, 4], [2, 2]);
      const calls: [string, () => unknown][] = [
        ['add', () => e.add(x, foreign)],
        ['relu', () => e.relu(foreign)],
        ['conv2d', () => e.conv2d(x, other.tensor([1], [1, 1, 1, 1]))],
        ['matMul', () => e.matMul(x2, other.tensor([1, 0, 0, 1], [2, 2]))],
        ['maxPool2d', () => e.maxPool2d(foreign, { filterSize: 2 })],
        ['softmax', () => e.softmax(foreign)],
        ['sum', () => e.sum(foreign)],
        ['concat', () => e.concat([x, foreign], 3)],
        ['clip', () => e.clip(foreign, 0, 1)],
      ];
      for (const [op, call] of calls) {
        for (let i = 0; i < 5; i++) expectThrowsNoLeak(e, call, /belongs to another engine/);
        expect(op).to.be.a('string');
      }
      expect([...(await e.add(x, x).read())]).to.deep.equal([2, 4, 6, 8]);
    } finally {
      other.destroy();
    }
  });
});
