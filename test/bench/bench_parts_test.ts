import { expect } from '@esm-bundle/chai';
import { ProtoWriter } from '../../bench/onnx/protobuf.js';
import { oneNodeModel } from '../../bench/onnx/model.js';
import { quantile, summarize, geomean, relativeError } from '../../bench/stats.js';
import { allCases, selectCases } from '../../bench/cases.js';
import { geomeans } from '../../bench/suite.js';
import type { RowResult } from '../../bench/types.js';
import { hwioToOihw, oihwToHwio, nhwcToNchw, nchwToNhwc, permuteFlattenRows, Rng } from '../../bench/data.js';

describe('benchmark parts', () => {
  it('writes protobuf varints and nested messages as the wire format defines them', () => {
    expect([...new ProtoWriter().int(1, 150).finish()]).to.deep.equal([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().string(2, 'ab').finish()]).to.deep.equal([0x12, 2, 0x61, 0x62]);
    expect([...new ProtoWriter().message(3, new ProtoWriter().int(1, 1)).finish()]).to.deep.equal([0x1a, 2, 0x08, 1]);
    const model = oneNodeModel({
      op: 'MatMul', attrs: {}, input: { name: 'x', shape: [1, 2] },
      initializers: [{ name: 'w', shape: [2, 1], data: new Float32Array([1, 2]) }], output: { name: 'y', shape: [1, 1] },
    });
    expect(model[0]).to.equal(0x08); // ir_version first
    expect(new TextDecoder().decode(model)).to.include('MatMul');
  });

  it('takes order statistics, geometric means and relative errors', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).to.equal(3);
    expect(quantile([0, 10], 0.1)).to.be.closeTo(1, 1e-12);
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s.p10).to.be.closeTo(1.4, 1e-12);
    expect(s.p90).to.be.closeTo(4.6, 1e-12);
    expect([s.median, s.min, s.n]).to.deep.equal([3, 1, 5]);
    expect(geomean([2, 8, null])).to.be.closeTo(4, 1e-12);
    expect(geomean([null])).to.equal(null);
    expect(relativeError([1, 2], [1, 2])).to.equal(0);
    expect(relativeError([1], [1, 2])).to.equal(Infinity);
  });

  it('selects cases by op and layer patterns', () => {
    const all = allCases();
    expect(new Set(all.map((c) => c.id)).size).to.equal(all.length);
    expect(selectCases(all, { shapes: 'lenet' }).every((c) => c.network === 'lenet')).to.equal(true);
    expect(selectCases(all, { ops: 'conv2d', shapes: 'alexnet' }).map((c) => c.id)).to.have.length(10);
    expect(selectCases(all, { ops: 'conv2d*', shapes: 'alexnet-b8.conv3' }).map((c) => c.family))
      .to.deep.equal(['conv2d', 'conv2dGradInput', 'conv2dGradFilter']);
    expect(selectCases(all, { ops: 'trainStep' })).to.have.length(1);
  });

  it('gives the small networks whole-layer rows and the demo models a forward-pass row', () => {
    const all = allCases();
    const layers = selectCases(all, { ops: 'convLayer,denseLayer' });
    expect(new Set(layers.map((c) => c.network))).to.deep.equal(new Set(['lenet', 'tinyvgg', 'face']));
    // Every conv and dense layer of those networks, the same shapes as their op rows.
    expect(layers.filter((c) => c.family === 'convLayer')).to.have.length(2 + 4 + 8);
    const conv1 = selectCases(all, { shapes: 'lenet.conv1' });
    expect(conv1.map((c) => c.family)).to.deep.equal(['conv2d', 'conv2dGradInput', 'conv2dGradFilter', 'convLayer']);
    expect(conv1[3]!.spec).to.equal(conv1[0]!.spec);
    expect(selectCases(all, { ops: 'conv2d*', shapes: 'lenet' }).map((c) => c.family)).to.not.include('convLayer');
    const models = selectCases(all, { ops: 'modelForward' });
    expect(models.map((c) => c.id)).to.deep.equal(['face.model/modelForward', 'mnist.model-b1/modelForward', 'mnist.model-b32/modelForward']);
    expect(models.every((c) => c.unit === 'images/s' && c.spec.kind === 'model')).to.equal(true);
  });

  it("groups families as the issue's targets do: every conv by direction with depthwise, pooling all four", () => {
    const row = (family: string, ratio: number) => ({ case: { family }, ratios: { b: ratio }, gpuRatios: { b: null } }) as unknown as RowResult;
    const g = geomeans([row('conv2d', 4), row('depthwiseConv2d', 0.25), row('maxPool', 2), row('avgPoolGrad', 8), row('trainStep', 3)], ['b'], 'ratios');
    expect(g.conv2d!.b).to.be.closeTo(4, 1e-12);
    expect(g.convForward!.b).to.be.closeTo(1, 1e-12);
    expect(g.pooling!.b).to.be.closeTo(4, 1e-12);
    expect(g.trainStep!.b).to.be.closeTo(3, 1e-12);
    expect(g.convGradInput, 'no rows, no entry').to.equal(undefined);
  });

  it('converts layouts both ways (NHWC/NCHW, HWIO/OIHW, depthwise, flattening order)', () => {
    const rng = new Rng(3);
    const x = rng.uniform([2, 3, 4, 5]);
    expect([...nchwToNhwc(nhwcToNchw(x.data, x.shape), x.shape)]).to.deep.equal([...x.data]);
    expect(nhwcToNchw(x.data, x.shape)[1]).to.equal(x.data[5]); // (n0, c0, h0, w1) is NHWC index 5
    const w = rng.uniform([3, 3, 4, 2]);
    for (const dw of [false, true]) expect([...oihwToHwio(hwioToOihw(w.data, w.shape, dw), w.shape, dw)]).to.deep.equal([...w.data]);
    const rows = rng.uniform([400, 120]);
    expect([...permuteFlattenRows(permuteFlattenRows(rows.data), true)]).to.deep.equal([...rows.data]);
  });
});
