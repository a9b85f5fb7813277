import { expect } from '@esm-bundle/chai';
import { gpuIt, sharedGpu } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { Engine } from '../../src/engine.js';
import type { WinnerStore } from '../../src/gpu/autotuner.js';
import { VERSION } from '../../src/version.js';

class MemoryStore implements WinnerStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('autotuner', () => {
  gpuIt('times the conv2d variants of a shape class on first use, keeps the winner and stores it per adapter', async (e) => {
    const store = new MemoryStore();
    const tuner = e.enableAutotune(store);
    const rng = new Rng(4);
    const xs = rng.uniform(2 * 12 * 12 * 8);
    const ws = rng.uniform(3 * 3 * 8 * 8);
    const x = e.tensor(xs, [2, 12, 12, 8]);
    const w = e.tensor(ws, [3, 3, 8, 8]);
    const first = await e.conv2d(x, w, { pad: 'same' }).read();
    await tuner.whenIdle();
    const winners = Object.entries(tuner.entries());
    expect(winners.length, 'one shape class tuned').to.equal(1);
    const [key, winner] = winners[0]!;
    expect(key).to.match(/^conv2d:3x3\/1x1:v4:.*@[0-9a-f]{8}$/);
    expect(['vec4', 'block', 'few', 'tiled']).to.include(winner);
    const saved = JSON.parse(store.getItem(`cnn-webgpu@${VERSION}:autotune:${e.info.description}`)!) as Record<string, string>;
    expect(saved[key]).to.equal(winner);
    // The winner computes the same convolution.
    expectClose(await e.conv2d(x, w, { pad: 'same' }).read(), first, `conv2d with the tuned '${winner}' kernel`);

    // Another engine on this adapter starts with the stored winner and queues no tuning.
    const { device, info } = await sharedGpu();
    const other = new Engine(device, info);
    try {
      const tuner2 = other.enableAutotune(store);
      expect(tuner2.winner(key)).to.equal(winner);
      const before = other.scheduler.dispatchCount;
      other.conv2d(other.tensor(xs, [2, 12, 12, 8]), other.tensor(ws, [3, 3, 8, 8]), { pad: 'same' }).dispose();
      await tuner2.whenIdle();
      expect(other.scheduler.dispatchCount - before, 'only the conv itself ran').to.equal(1);
    } finally {
      other.destroy();
    }
  });

  gpuIt('keys winners by the package version and the shader\'s hash, so a changed kernel or release is tuned again', async (e) => {
    const store = new MemoryStore();
    const x = e.zeros([1, 8, 8, 4]);
    const w = e.zeros([3, 3, 4, 4]);
    const tuner = e.enableAutotune(store);
    e.conv2d(x, w).dispose();
    await tuner.whenIdle();
    const [key, winner] = Object.entries(tuner.entries())[0]!;
    const stale = key.replace(/@[0-9a-f]{8}$/, '@00000000');
    const staleWinner = winner === 'block' ? 'tiled' : 'block';
    // A store written by another release, and one written for an older kernel of this release.
    store.items.clear();
    store.setItem(`cnn-webgpu@0.0.0-old:autotune:${e.info.description}`, JSON.stringify({ [key]: staleWinner }));
    store.setItem(`cnn-webgpu@${VERSION}:autotune:${e.info.description}`, JSON.stringify({ [stale]: staleWinner }));
    const { device, info } = await sharedGpu();
    const other = new Engine(device, info);
    try {
      const tuner2 = other.enableAutotune(store);
      expect(tuner2.winner(key), 'nothing stored for this version and kernel').to.equal(undefined);
      const [x2, w2] = [other.zeros([1, 8, 8, 4]), other.zeros([3, 3, 4, 4])];
      other.conv2d(x2, w2).dispose();
      await tuner2.whenIdle();
      expect(tuner2.winner(key), 'tuned again').to.be.a('string');
    } finally {
      other.destroy();
    }
    for (const t of [x, w]) t.dispose();
  });

  gpuIt('tunes matMul and depthwise shape classes too, and their winners compute the same results', async (e) => {
    const tuner = e.enableAutotune(new MemoryStore());
    const rng = new Rng(5);
    const av = rng.uniform(1 * 40);
    const bv = rng.uniform(40 * 32);
    const a = e.tensor(av, [1, 40]);
    const b = e.tensor(bv, [40, 32]);
    const xs = rng.uniform(1 * 9 * 9 * 16);
    const ws = rng.uniform(3 * 3 * 16);
    const x = e.tensor(xs, [1, 9, 9, 16]);
    const w = e.tensor(ws, [3, 3, 16, 1]);
    const dy = e.tensor(rng.uniform(9 * 9 * 16), [1, 9, 9, 16]);
    const run = async () => [
      await e.matMul(a, b).read(),
      await e.depthwiseConv2d(x, w, { pad: 'same' }).read(),
      await e.depthwiseConv2dGradInput(dy, w, x.shape, { pad: 'same' }).read(),
    ];
    const before = await run();
    await tuner.whenIdle();
    const entries = tuner.entries();
    const matmul = Object.keys(entries).filter((k) => k.startsWith('matMul:'));
    const depthwise = Object.keys(entries).filter((k) => k.startsWith('depthwise:'));
    expect(matmul.length, 'matMul classes tuned').to.equal(1);
    expect(['wide', 'regs', 'tiled']).to.include(entries[matmul[0]!]);
    expect(depthwise.length, 'depthwise forward and input-gradient classes tuned').to.equal(2);
    for (const k of depthwise) expect(['wide', 'block']).to.include(entries[k]);
    const after = await run();
    after.forEach((v, i) => expectClose(v, before[i]!, `op ${i} with the tuned kernels`));
  });

  gpuIt('is off unless asked for, so results stay bitwise reproducible by default', async (e) => {
    expect(e.autotuner).to.equal(null);
  });
});
