/** loadModel: one entry point that tells ONNX from TF.js layers files by name or by content. */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../../helpers/gpu.js';
import { detectModelFormat, loadModel } from '../../../src/io/load_model.js';
import { CnnError } from '../../../src/errors.js';
import { FIXTURES, fixtureBytes } from './ort_oracle.js';

describe('loadModel', () => {
  it('tells the format by extension, and by content where no name says', async () => {
    const onnx = await fixtureBytes('tiny_cnn.onnx');
    expect(await detectModelFormat('models/x.onnx')).to.equal('onnx');
    expect(await detectModelFormat('/demo/models/mnist/model.json?v=2')).to.equal('tfjs-layers');
    expect(await detectModelFormat(new File([onnx.slice()], 'weights'))).to.equal('onnx');
    expect(await detectModelFormat(new File(['  {"modelTopology": {}}'], 'data'))).to.equal('tfjs-layers');
    expect(await detectModelFormat(onnx)).to.equal('onnx');
    expect(await detectModelFormat([new File([onnx.slice()], 'a.onnx'), new File(['x'], 'a.bin')])).to.equal('onnx');
    expect(await detectModelFormat({ modelJson: {}, weights: new ArrayBuffer(0) })).to.equal('tfjs-layers');
    let err: unknown;
    try {
      await detectModelFormat(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CnnError);
    expect((err as Error).message).to.match(/neither an ONNX model nor a TF\.js model\.json/);
  });

  gpuIt('loads an ONNX file and a TF.js model.json through the same call, and a URL with no telling name by content', async (e) => {
    const a = await loadModel(e, `${FIXTURES}tiny_cnn.onnx`);
    expect(a.layers.some((l) => l.className === 'OnnxConv')).to.equal(true);
    const b = await loadModel(e, '/demo/models/mnist/model.json');
    expect(b.layers.some((l) => l.className === 'Conv2D')).to.equal(true);
    const url = URL.createObjectURL(new Blob([(await fixtureBytes('tiny_cnn.onnx')).slice()]));
    const fractions: number[] = [];
    const c = await loadModel(e, url, { onProgress: (f) => fractions.push(f) });
    URL.revokeObjectURL(url);
    expect(c.outputShape).to.deep.equal([10]);
    expect(fractions[fractions.length - 1]).to.equal(1);
    for (const m of [a, b, c]) m.dispose();
  });
});
