import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { readValueRanges, rangeAt, rangesFrom } from '../../src/inspect/ranges.js';
import { minMax, strided } from './helpers.js';

describe('inspect: value ranges', () => {
  gpuIt('readValueRanges gives the whole tensor’s and each channel’s min and max, as computed in JS', async (e) => {
    const rng = new Rng(4);
    const c = 6;
    const data = rng.uniform(3 * 7 * 5 * c, -4, 3);
    data[10] = NaN;
    data[31] = -Infinity;
    const x = e.tensor(data, [3, 7, 5, c]);
    const r = await readValueRanges(e, x);
    const whole = minMax(data, strided(0, 1, data.length)).map(Math.fround);
    expect([r.min, r.max]).to.deep.equal(whole);
    expect(r.channels).to.have.length(c);
    r.channels.forEach((range, ch) => expect(range, `channel ${ch}`).to.deep.equal(minMax(data, strided(ch, c, data.length)).map(Math.fround)));
    x.dispose();
  });

  gpuIt('a channel with no finite value reads [0, 0], never an inverted range', async (e) => {
    const x = e.tensor([1, NaN, -2, Infinity, 5, NaN], [3, 2]);
    const r = await readValueRanges(e, x);
    expect(r.channels).to.deep.equal([[-2, 5], [0, 0]]);
    expect([r.min, r.max]).to.deep.equal([-2, 5]);
    x.dispose();
  });

  it('rangeAt and rangesFrom read the [c + 1, 2] layout, the last row covering everything', () => {
    const values = new Float32Array([0, 1, 3e38, -3e38, -1, 2]);
    expect(rangeAt(values, 0)).to.deep.equal([0, 1]);
    expect(rangeAt(values, 1)).to.deep.equal([0, 0]);
    expect(rangesFrom(values)).to.deep.equal({ min: -1, max: 2, channels: [[0, 1], [0, 0]] });
  });
});
