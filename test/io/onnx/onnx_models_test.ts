/**
 * The ONNX importer against ONNX Runtime Web on the fixtures of tools/onnx/make_fixtures.py: every
 * node's output (each fixture lists them as graph outputs) equals ORT's within 1e-4 of the
 * tensor's scale, in ONNX's layout once put back from NHWC.
 */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../../helpers/gpu.js';
import { loadOnnxModel } from '../../../src/io/onnx/loader.js';
import { compareWithOrt, fixtureBytes } from './ort_oracle.js';

interface Case {
  file: string;
  /** The NCHW input the test feeds (batch may exceed the file's). */
  shape: number[];
  inputSize?: [number, number];
  /** Layers the model must have (beyond those compared). */
  tol?: number;
}

const CASES: Case[] = [
  { file: 'tiny_cnn.onnx', shape: [1, 3, 16, 16] },
  { file: 'tiny_cnn.onnx', shape: [3, 3, 16, 16] },
  { file: 'residual.onnx', shape: [2, 3, 12, 12] },
  { file: 'branches.onnx', shape: [1, 4, 9, 7] },
  { file: 'depthwise.onnx', shape: [1, 6, 11, 10] },
  { file: 'grouped.onnx', shape: [1, 8, 7, 7] },
  { file: 'activations.onnx', shape: [1, 4, 5, 6] },
  { file: 'conv_pads.onnx', shape: [1, 3, 13, 11] },
  { file: 'pools.onnx', shape: [1, 3, 10, 9] },
  { file: 'shape_ops.onnx', shape: [1, 4, 3, 4] },
  { file: 'legacy_opset9.onnx', shape: [1, 3, 4, 5] },
  { file: 'float16.onnx', shape: [1, 2, 6, 5] },
  { file: 'lrn.onnx', shape: [1, 3, 5, 6] },
  { file: 'upsampling.onnx', shape: [1, 3, 5, 4] },
  { file: 'resize.onnx', shape: [1, 2, 5, 6] },
  { file: 'upsample9.onnx', shape: [1, 2, 3, 4] },
  { file: 'free_size.onnx', shape: [2, 3, 13, 9], inputSize: [13, 9] },
];

describe('loadOnnxModel against ONNX Runtime Web', () => {
  for (const c of CASES) {
    gpuIt(`${c.file} at ${JSON.stringify(c.shape)}: every node's output agrees`, async (e) => {
      const bytes = await fixtureBytes(c.file);
      const model = await loadOnnxModel(e, bytes.slice().buffer, { inputSize: c.inputSize });
      try {
        const results = await compareWithOrt(e, model, bytes, c.shape);
        expect(results.length).to.be.greaterThan(0);
        const bad = results.filter((r) => !(r.error <= (c.tol ?? 1e-4)));
        expect(bad, `outputs off: ${bad.map((r) => `${r.name} ${r.error.toExponential(2)}`).join(', ')} (of ${results.map((r) => r.name).join(', ')})`).to.deep.equal([]);
      } finally {
        model.dispose();
      }
    });
  }
});
