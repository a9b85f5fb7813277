/**
 * The landmark networks (tools/onnx/landmarks.py: the onnx wheel's light AlexNet, ZFNet-512,
 * VGG-19, ResNet-50, SqueezeNet, Inception v1 and v2, DenseNet-121 and ShuffleNet with seeded
 * random weights) loaded from their .onnx files and run on the engine; their logits must equal
 * ONNX Runtime's within 1e-3 of their scale, centred (each row's mean removed). Not part of the
 * test suite (the files are big and generated): `npm run check:onnx` runs it.
 */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../../helpers/gpu.js';
import { loadOnnxModel } from '../../../src/io/onnx/loader.js';
import { nchwToNhwc, relError, toOnnxOrder } from './ort_oracle.js';

const DIR = '/test-artifacts/onnx-landmarks/';

interface Meta {
  input: string;
  inputShape: number[];
  logits: string;
  logitsShape: number[];
  output: string;
  bytes: number;
}

async function fetchBin(url: string): Promise<Float32Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Float32Array(await res.arrayBuffer());
}

/** Each row minus its mean: the logits' softmax does not see a constant shift, and neither should the error. */
function centred(v: Float32Array, rows: number): Float32Array {
  const n = v.length / rows;
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v[r * n + i]!;
    mean /= n;
    for (let i = 0; i < n; i++) out[r * n + i] = v[r * n + i]! - mean;
  }
  return out;
}

describe('landmark networks against ONNX Runtime', function () {
  this.timeout(1_800_000);
  const keys: string[] = [];
  before(async () => {
    const res = await fetch(`${DIR}run.json`);
    keys.push(...((await res.json()) as string[]));
  });

  gpuIt('every listed network loads and its logits agree within 1e-3', async (e) => {
    const failures: string[] = [];
    for (const key of keys) {
      const meta = (await (await fetch(`${DIR}${key}.json`)).json()) as Meta;
      const t0 = performance.now();
      let lastTenth = -1;
      const model = await loadOnnxModel(e, `${DIR}${key}.onnx`, {
        onProgress: (f) => {
          const tenth = Math.floor(f * 10);
          if (tenth !== lastTenth) console.log(`${key}: loading ${Math.round(f * 100)} %`);
          lastTenth = tenth;
        },
      });
      const t1 = performance.now();
      const [n, c, h, w] = meta.inputShape as [number, number, number, number];
      const x = e.tensor(nchwToNhwc(await fetchBin(`${DIR}${key}.input.bin`), meta.inputShape), [n, h, w, c]);
      const acts = model.run(x);
      const ours = toOnnxOrder(model, meta.logits, await acts.outputs.get(meta.logits)!.read(), n);
      const t2 = performance.now();
      const ref = await fetchBin(`${DIR}${key}.logits.bin`);
      const err = relError(centred(ours, n), centred(ref, n));
      console.log(`${key}: ${model.layers.length} layers, ${(meta.bytes / 1e6).toFixed(1)} MB, load ${((t1 - t0) / 1000).toFixed(1)} s, forward ${((t2 - t1) / 1000).toFixed(1)} s, logits rel. error ${err.toExponential(2)}`);
      if (!(err <= 1e-3)) failures.push(`${key}: ${err.toExponential(2)}`);
      acts.dispose();
      x.dispose();
      model.dispose();
    }
    expect(failures, failures.join('; ')).to.deep.equal([]);
  });
});
