import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { topK, softmax, argMax, endsInSoftmax } from '../../src/inspect/predictions.js';
import { sequential } from '../../src/nn/sequential.js';
import { tinyModel } from './helpers.js';

describe('inspect: predictions', () => {
  it('topK lists the k most probable classes, most probable first, ties by index, with labels or indices', () => {
    const p = topK(new Float32Array([0.1, 0.3, 0.05, 0.3, 0.25]), 3, ['a', 'b', 'c']);
    expect(p.map((x) => [x.index, x.label])).to.deep.equal([[1, 'b'], [3, '3'], [4, '4']]);
    expect(p[0]!.probability).to.be.closeTo(0.3, 1e-7);
    expect(topK([0.2, 0.8], 5)).to.have.length(2);
    expect(topK([0.2, 0.8], 0)).to.deep.equal([]);
    expect(topK([0.2, 0.8], -1)).to.deep.equal([]);
  });

  it('topK turns scores that are not probabilities into probabilities with a softmax first', () => {
    const scores = [2, -1, 0.5, 3];
    const e = scores.map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    const p = topK(scores, 4, [], false);
    expect(p.map((x) => x.index)).to.deep.equal([3, 0, 2, 1]);
    p.forEach((x) => expect(x.probability, `class ${x.index}`).to.be.closeTo(e[x.index]! / sum, 1e-12));
  });

  it('softmax stays finite for large scores and sums to 1', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.every(Number.isFinite)).to.equal(true);
    expect(p.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-12);
    expect(p[1]! / p[0]!).to.be.closeTo(Math.E, 1e-9);
  });

  it('argMax returns the first of the largest values, -1 for none', () => {
    expect(argMax([1, 5, 2, 5])).to.equal(1);
    expect(argMax(new Float32Array([-3]))).to.equal(0);
    expect(argMax([])).to.equal(-1);
  });

  gpuIt('endsInSoftmax tells a classifier with a softmax at the end from one that ends in logits', (e) => {
    const withSoftmax = tinyModel(e);
    const logits = sequential(e, { inputShape: [4], layers: [{ className: 'Dense', config: { units: 2 } }] });
    const softmaxLayer = sequential(e, { inputShape: [4], layers: [{ className: 'Dense', config: { units: 2 } }, { className: 'Activation', config: { activation: 'softmax' } }] });
    expect(endsInSoftmax(withSoftmax)).to.equal(true);
    expect(endsInSoftmax(logits)).to.equal(false);
    expect(endsInSoftmax(softmaxLayer)).to.equal(true);
    for (const m of [withSoftmax, logits, softmaxLayer]) m.dispose();
  });
});
