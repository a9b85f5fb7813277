import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import type { Engine } from '../../src/engine.js';
import { buildModel, type LayerEntry } from '../../src/nn/model_import.js';
import type { Model } from '../../src/nn/model.js';
import { sequential } from '../../src/nn/sequential.js';
import * as explain from '../../src/explain/index.js';

type Spec = { className: string; config: Record<string, unknown> };

/** A random window layer: convolutions (strided, dilated, 'same' or 'valid'), pools, zero padding. */
function randomLayer(rng: Rng, name: string): Spec {
  const pad = rng.pick(['same', 'valid']);
  const k = rng.int(1, 4);
  const dilated = rng.next() < 0.3;
  const conv = { name, kernel_size: [k, rng.int(1, 3)], padding: pad, strides: dilated ? 1 : rng.int(1, 2), dilation_rate: dilated ? 2 : 1, activation: 'linear' };
  switch (rng.pick(['conv', 'conv', 'depthwise', 'separable', 'max', 'avg', 'zeropad'])) {
    case 'conv':
      return { className: 'Conv2D', config: { ...conv, filters: 2 } };
    case 'depthwise':
      return { className: 'DepthwiseConv2D', config: conv };
    case 'separable':
      return { className: 'SeparableConv2D', config: { ...conv, filters: 2 } };
    case 'max':
      return { className: 'MaxPooling2D', config: { name, pool_size: rng.int(2, 3), strides: rng.int(1, 2), padding: pad } };
    case 'avg':
      return { className: 'AveragePooling2D', config: { name, pool_size: [2, rng.int(1, 3)], strides: [rng.int(1, 2), 1], padding: pad } };
    default:
      return { className: 'ZeroPadding2D', config: { name, padding: [[rng.int(0, 2), rng.int(0, 1)], [rng.int(0, 1), rng.int(0, 2)]] } };
  }
}

/** A chain of window layers, or one with a residual Add or a Concatenate of two window branches. */
function randomModel(e: Engine, rng: Rng, index: number): Model {
  for (;;) {
    const entries: LayerEntry[] = [{ className: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 13, 12, 2] }, inbound: [] }];
    const add = (s: Spec, inbound: string[]) => (entries.push({ ...s, inbound }), s.config.name as string);
    let last = 'in';
    for (let i = 0, k = rng.int(1, 2); i < k; i++) last = add(randomLayer(rng, `l${i}`), [last]);
    const branch = ['residual add', 'concatenate', 'chain'][index % 3];
    if (branch === 'residual add') {
      const a = add({ className: 'Conv2D', config: { name: 'a', filters: 2, kernel_size: rng.int(2, 4), padding: 'same', dilation_rate: rng.int(1, 2), activation: 'tanh' } }, [last]);
      last = add({ className: 'Add', config: { name: 'sum' } }, [last, a]);
    } else if (branch === 'concatenate') {
      const a = add({ className: 'Conv2D', config: { name: 'a', filters: 2, kernel_size: 3, padding: 'same', activation: 'linear' } }, [last]);
      const b = add({ className: 'Conv2D', config: { name: 'b', filters: 3, kernel_size: [1, 4], padding: 'same', dilation_rate: 2, activation: 'linear' } }, [last]);
      last = add({ className: 'Concatenate', config: { name: 'cat', axis: -1 } }, [a, b]);
    }
    for (let i = 0, k = rng.int(1, 2); i < k; i++) last = add(randomLayer(rng, `top${i}`), [last]);
    let model: Model;
    try {
      model = buildModel(e, { name: `random${index}`, topology: 'functional', layers: entries, output: last });
    } catch {
      continue; // a window that no longer fits: draw again
    }
    model.initialize(index);
    return model;
  }
}

/** [top, bottom, left, right] of the pixels where any image's d unit / d input is not 0; null when there are none. */
async function support(e: Engine, model: Model, layer: string, y: number, x: number): Promise<number[] | null> {
  const [h, w, c] = model.inputShape as [number, number, number];
  const images = 8;
  const input = e.tensor(new Rng(y * 31 + x).uniform(images * h * w * c), [images, h, w, c]);
  const g = await explain.saliency(model, input, { target: { layer, channel: 0, y, x } });
  const v = await g.read();
  g.dispose();
  input.dispose();
  let box: number[] | null = null;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    const p = i % (h * w * c);
    const [py, px] = [Math.floor(p / (w * c)), Math.floor(p / c) % w];
    box = box ? [Math.min(box[0]!, py), Math.max(box[1]!, py), Math.min(box[2]!, px), Math.max(box[3]!, px)] : [py, py, px, px];
  }
  return box;
}

describe('explain: receptive fields', () => {
  gpuIt('the MNIST network’s conv2 unit (3, 5) sees rows 6–19 and columns 10–23 (5 + 1 + 2·4 = 14 pixels, every 2)', async (e) => {
    const model = sequential(e, {
      inputShape: [28, 28, 1],
      layers: [
        { className: 'Conv2D', config: { name: 'conv1', filters: 2, kernel_size: 5 } },
        { className: 'MaxPooling2D', config: { name: 'pool1', pool_size: 2 } },
        { className: 'Conv2D', config: { name: 'conv2', filters: 2, kernel_size: 5 } },
      ],
    });
    expect(explain.receptiveField(model, 'conv2', { y: 3, x: 5 })).to.deep.equal({ empty: false, top: 6, left: 10, bottom: 19, right: 23, size: [14, 14], stride: [2, 2], offset: [0, 0] });
    model.dispose();
  });

  gpuIt('for random architectures, |d unit / d input| is zero outside the field and reaches each of its sides', async (e) => {
    const rng = new Rng(2024);
    const seen = new Set<string>();
    for (let m = 0; m < 6; m++) {
      const model = randomModel(e, rng, m);
      const top = model.layer(model.outputName);
      const [h, w] = top.outputShape as [number, number];
      const arch = model.layers.slice(1).map((l) => `${l.className}${l.config.strides ? ` s${String(l.config.strides)}` : ''}${l.config.padding ? ` ${JSON.stringify(l.config.padding)}` : ''}${l.config.dilation_rate ? ` d${String(l.config.dilation_rate)}` : ''}`).join(' → ');
      model.layers.forEach((l) => seen.add(l.className));
      for (const [y, x] of [[0, 0], [h - 1, w - 1], [h >> 1, w >> 1]] as [number, number][]) {
        const rf = explain.receptiveField(model, top.name, { y, x });
        const where = `${arch}: unit (${y}, ${x}) field ${JSON.stringify(rf)}`;
        const box = await support(e, model, top.name, y, x);
        expect(rf.empty, `${where}: reads only padding`).to.equal(box === null);
        if (!box) continue;
        // Inside the rectangle and touching all four of its sides: the rectangle is the support's bounding box.
        expect(box, where).to.deep.equal([rf.top, rf.bottom, rf.left, rf.right]);
        // The layer's grid: the unclipped field holds the rectangle, and each of its sides inside the image is the rectangle's.
        const grid = [rf.offset[0] + y * rf.stride[0], rf.offset[0] + y * rf.stride[0] + rf.size[0] - 1, rf.offset[1] + x * rf.stride[1], rf.offset[1] + x * rf.stride[1] + rf.size[1] - 1];
        const limits = [0, 12, 0, 11];
        grid.forEach((side, k) => {
          if (side >= 0 && side <= limits[k]!) expect(side, `${where}: side ${k} inside the image`).to.equal([rf.top, rf.bottom, rf.left, rf.right][k]);
        });
      }
      model.dispose();
    }
    for (const cls of ['Conv2D', 'MaxPooling2D', 'Add', 'Concatenate']) expect([...seen], 'the draw covers').to.include(cls);
  });

  gpuIt('layers without spatial positions and positions out of range are CnnErrors naming the layer', async (e) => {
    const model = sequential(e, {
      inputShape: [8, 8, 1],
      name: 'm',
      layers: [
        { className: 'Conv2D', config: { name: 'conv', filters: 2, kernel_size: 3 } },
        { className: 'Flatten', config: { name: 'flat' } },
        { className: 'Dense', config: { name: 'dense', units: 2 } },
      ],
    });
    const cases: [() => unknown, RegExp][] = [
      [() => explain.receptiveField(model, 'dense', { y: 0, x: 0 }), /^explain\.receptiveField: layer 'dense' outputs \[batch, 2\], which has no spatial positions/],
      [() => explain.receptiveField(model, 'conv', { y: 6, x: 0 }), /y 6 is out of range: layer 'conv' has rows 0 to 5/],
      [() => explain.receptiveField(model, 'nope', { y: 0, x: 0 }), /no layer named "nope"/],
    ];
    for (const [call, message] of cases) expectThrowsNoLeak(e, call, message);
    model.dispose();
  });
});
