/**
 * loadOnnxModel's sources, options and errors: a URL, a File, a FileList, bytes; external data
 * beside a URL or among dropped files; progress and abort; free input sizes; and every bad file
 * rejected with a CnnError naming the node or the file, nothing left on the GPU, the engine usable.
 */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../../helpers/gpu.js';
import type { Engine } from '../../../src/engine.js';
import { CnnError } from '../../../src/errors.js';
import { loadOnnxModel, readOnnxModel, supportedOnnxOps } from '../../../src/io/onnx/loader.js';
import { sgd } from '../../../src/nn/optimizers.js';
import { FIXTURES, fixtureBytes, nchwToNhwc, randomInput } from './ort_oracle.js';

async function file(name: string, as = name): Promise<File> {
  return new File([(await fixtureBytes(name)).slice()], as);
}

/** Rejects with a CnnError whose message matches every pattern; the GPU holds what it held before, and the engine still computes. */
async function expectLoadError(e: Engine, load: () => Promise<unknown>, ...patterns: RegExp[]): Promise<CnnError> {
  const before = e.memory().buffers;
  let err: unknown;
  try {
    await load();
  } catch (x) {
    err = x;
  }
  expect(err, 'the load should fail').to.be.instanceOf(CnnError);
  for (const p of patterns) expect((err as Error).message).to.match(p);
  expect(e.memory().buffers, 'GPU buffers left after the failed load').to.equal(before);
  const t = e.tensor([1, 2, 3], [3]);
  const y = e.add(t, 1);
  expect(Array.from(await y.read())).to.deep.equal([2, 3, 4]);
  t.dispose();
  y.dispose();
  return err as CnnError;
}

async function outputOf(e: Engine, model: Awaited<ReturnType<typeof loadOnnxModel>>, shape: number[]): Promise<Float32Array> {
  const x = e.tensor(nchwToNhwc(randomInput(shape), shape), [shape[0]!, shape[2]!, shape[3]!, shape[1]!]);
  const y = model.predict(x);
  const v = await y.read();
  x.dispose();
  y.dispose();
  return v;
}

describe('loadOnnxModel: sources', () => {
  gpuIt('loads from a URL, a File, a FileList, an ArrayBuffer and a Uint8Array with the same result', async (e) => {
    const bytes = await fixtureBytes('tiny_cnn.onnx');
    const sources = [
      `${FIXTURES}tiny_cnn.onnx`,
      await file('tiny_cnn.onnx'),
      [await file('tiny_cnn.onnx'), new File(['unrelated'], 'notes.txt')],
      bytes.slice().buffer,
      bytes,
    ];
    let first: Float32Array | undefined;
    for (const s of sources) {
      const model = await loadOnnxModel(e, s as never);
      expect(model.inputShape).to.deep.equal([16, 16, 3]);
      expect(model.outputShape).to.deep.equal([10]);
      expect(model.outputName).to.equal('output');
      const out = await outputOf(e, model, [1, 3, 16, 16]);
      if (first) expect(Array.from(out)).to.deep.equal(Array.from(first));
      first = out;
      model.dispose();
    }
    expect(first!.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-5);
  });

  gpuIt('names layers after the ONNX output tensors and exposes each in run()', async (e) => {
    const model = await loadOnnxModel(e, `${FIXTURES}residual.onnx`);
    const x = e.zeros([2, 12, 12, 3]);
    const acts = model.run(x);
    const relu = model.layers.find((l) => l.config.op_type === 'Relu')!;
    expect(acts.outputs.get(relu.name)!.shape).to.deep.equal([2, 12, 12, 8]);
    expect(acts.output.shape).to.deep.equal([2, 5]);
    expect(model.layers.some((l) => l.className === 'OnnxConv')).to.equal(true);
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('reads external data beside a URL and among dropped files, and reports progress up to 1', async (e) => {
    const fractions: number[] = [];
    const a = await loadOnnxModel(e, `${FIXTURES}external_data.onnx`, { onProgress: (f) => fractions.push(f) });
    expect(fractions[fractions.length - 1]).to.equal(1);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).to.be.at.least(fractions[i - 1]!);
    const b = await loadOnnxModel(e, [await file('external_data.onnx'), await file('ext_weights.bin')]);
    const [ya, yb] = [await outputOf(e, a, [1, 2, 5, 5]), await outputOf(e, b, [1, 2, 5, 5])];
    expect(Array.from(ya)).to.deep.equal(Array.from(yb));
    expect(ya.some((v) => v !== 0)).to.equal(true);
    a.dispose();
    b.dispose();
  });

  gpuIt('runs a model with a free input size at the size given, and says it is free before loading', async (e) => {
    const onnx = await readOnnxModel(`${FIXTURES}free_size.onnx`);
    expect(onnx.info.freeInputSize).to.equal(true);
    expect(onnx.info.input.shape).to.deep.equal(['N', 3, 'H', 'W']);
    const small = await onnx.instantiate(e, { inputSize: [8, 6] });
    const big = await onnx.instantiate(e, { inputSize: 20 });
    expect(small.inputShape).to.deep.equal([8, 6, 3]);
    expect(big.inputShape).to.deep.equal([20, 20, 3]);
    expect(big.outputShape).to.deep.equal([4]);
    small.dispose();
    big.dispose();
  });

  gpuIt('trains: the imported layers run on the tape and fit lowers the loss', async (e) => {
    const model = await loadOnnxModel(e, `${FIXTURES}tiny_cnn.onnx`);
    const count = 8;
    const x = randomInput([count, 16, 16, 3], 3);
    const y = new Float32Array(count * 10);
    for (let i = 0; i < count; i++) y[i * 10 + (i % 10)] = 1;
    const data = { count, xShape: [16, 16, 3], classes: 10, x, y };
    const before = await model.evaluate(data);
    await model.fit(data, { optimizer: sgd({ learningRate: 0.1 }), epochs: 15, batchSize: 8, shuffle: false });
    const after = await model.evaluate(data);
    expect(after.loss).to.be.lessThan(before.loss * 0.8);
    model.dispose();
  });
});

describe('loadOnnxModel: bad files', () => {
  gpuIt('a truncated file: names the file and says it is truncated', async (e) => {
    const bytes = await fixtureBytes('tiny_cnn.onnx');
    await expectLoadError(e, () => loadOnnxModel(e, new File([bytes.slice(0, bytes.length - 1000)], 'cut.onnx')), /cut\.onnx/, /truncated/);
  });

  gpuIt('a file that is not ONNX (a model.json, random bytes) is refused by content', async (e) => {
    await expectLoadError(e, () => loadOnnxModel(e, new File(['{"modelTopology": {}}'], 'model.onnx')), /model\.onnx is not an ONNX model/, /loadLayersModel/);
    await expectLoadError(e, () => loadOnnxModel(e, new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02])), /not an ONNX model/);
  });

  gpuIt('an unsupported operator: names the node and its op type and lists what is supported', async (e) => {
    const err = await expectLoadError(e, () => loadOnnxModel(e, `${FIXTURES}bad_unsupported_op.onnx`), /node 'erf_node' \(Erf\)/, /not supported/, /Conv, /);
    expect(supportedOnnxOps()).to.include.members(['Conv', 'Gemm', 'MaxPool', 'BatchNormalization', 'Reshape']);
    expect(err.message).to.include(supportedOnnxOps().join(', '));
  });

  gpuIt('an unsupported domain and an unsupported opset', async (e) => {
    await expectLoadError(e, () => loadOnnxModel(e, `${FIXTURES}bad_domain.onnx`), /node 'fused' \(FusedConv\)/, /domain 'com\.microsoft'/);
    await expectLoadError(e, () => loadOnnxModel(e, `${FIXTURES}bad_opset.onnx`), /opset 5/, /opsets 7 to/);
  });

  gpuIt('a free input size with no size given: names the input and its free dims', async (e) => {
    await expectLoadError(e, () => loadOnnxModel(e, `${FIXTURES}free_size.onnx`), /input 'input' \[N, 3, H, W\] has a free height/, /inputSize/);
  });

  gpuIt('a missing or short external data file: names it, and frees what was uploaded', async (e) => {
    const alone = await file('external_data.onnx');
    await expectLoadError(e, () => loadOnnxModel(e, alone), /ext_weights\.bin/, /missing/);
    await expectLoadError(e, () => loadOnnxModel(e, `${FIXTURES}nowhere/external_data.onnx`), /external_data\.onnx/, /404/);
    const short = new File([(await fixtureBytes('ext_weights.bin')).slice(0, 100)], 'ext_weights.bin');
    await expectLoadError(e, async () => loadOnnxModel(e, [await file('external_data.onnx'), short]), /ext_weights\.bin/, /only 100 bytes/);
  });

  gpuIt('an abort before or during the load rejects with an AbortError and leaves nothing', async (e) => {
    const ctl = new AbortController();
    ctl.abort();
    const err = await expectLoadError(e, () => loadOnnxModel(e, `${FIXTURES}tiny_cnn.onnx`, { signal: ctl.signal }));
    expect(err.name).to.equal('AbortError');
    const late = new AbortController();
    const p = loadOnnxModel(e, `${FIXTURES}tiny_cnn.onnx`, { signal: late.signal, onProgress: (f) => f > 0 && late.abort() });
    const err2 = await expectLoadError(e, () => p);
    expect(err2.name).to.equal('AbortError');
  });
});
