// The face model that tools/convert-face-api.mjs writes must compute what face-api computes: the same
// 128-d embedding for the same face, within float32 rounding. Both sides run on TensorFlow.js's CPU
// backend: ours through tf.loadLayersModel (the converted layers model, as any Keras export would be
// loaded), face-api through its own bundle and its own weights. face-api's bundle carries its own
// copy of TensorFlow.js; two copies in one page share tfjs-core's global engine and kernel registry,
// so face-api runs in a same-origin iframe, which gives it a realm (and globals) of its own.
import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { withEngine } from '../helpers/gpu.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';

const MODEL_URL = '/demo/models/face-recognition/model.json';
const PHOTO_URL = '/demo/images/astronaut.png';
const FACE_API_URL = '/node_modules/@vladmandic/face-api/dist/face-api.esm.js';
const FACE_API_MODELS = '/node_modules/@vladmandic/face-api/model';
const INPUT = 150;
// The face in the 256×256 astronaut.png, chosen by eye: from the hairline to below the chin, cheek to
// cheek, the framing of face-api's aligned face chips. Cropped, then resized to 150×150 bilinearly.
const FACE_BOX = { x: 82, y: 26, size: 68 };

interface FaceApiResult {
  descriptor: Float32Array;
  conv1: Float32Array;
}

/** The photo's RGB pixels as decoded, without colour-space conversion (the PNG carries no profile). */
async function loadRgb(url: string): Promise<tf.Tensor3D> {
  const blob = await (await fetch(url)).blob();
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const rgb = new Float32Array(bitmap.width * bitmap.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return tf.tensor3d(rgb, [bitmap.height, bitmap.width, 3]);
}

/** The 150×150 face crop both networks see, as float RGB in 0..255. */
async function faceCrop(): Promise<Float32Array> {
  const photo = await loadRgb(PHOTO_URL);
  const { x, y, size } = FACE_BOX;
  const crop = tf.tidy(() => tf.image.resizeBilinear(tf.slice(photo, [y, x, 0], [size, size, 3]), [INPUT, INPUT]));
  const data = crop.dataSync() as Float32Array;
  photo.dispose();
  crop.dispose();
  return data;
}

/** face-api's own FaceRecognitionNet on the crop, in an iframe with its bundled TensorFlow.js on the CPU. */
async function faceApiDescriptor(pixels: Float32Array): Promise<FaceApiResult> {
  const frame = document.createElement('iframe');
  document.body.append(frame);
  try {
    // eval in the iframe's window runs the import in the iframe's realm (its base URL is this page's).
    const win = frame.contentWindow as Window & typeof globalThis & { eval(code: string): unknown };
    const faceapi = (await win.eval(`import(${JSON.stringify(FACE_API_URL)})`)) as any;
    await faceapi.tf.setBackend('cpu');
    await faceapi.tf.ready();
    const net = faceapi.nets.faceRecognitionNet;
    await net.loadFromUri(FACE_API_MODELS);
    // A typed array from this realm would fail tfjs's instanceof checks over there: copy it across.
    const input = faceapi.tf.tensor3d(new win.Float32Array(pixels), [INPUT, INPUT, 3]);
    const descriptor = Float32Array.from(await net.computeFaceDescriptor(input) as ArrayLike<number>);
    const conv1 = Float32Array.from(net.params.conv32_down.conv.filters.dataSync() as ArrayLike<number>);
    input.dispose();
    net.dispose();
    return { descriptor, conv1 };
  } finally {
    frame.remove();
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('face-recognition model converted from face-api', () => {
  let pixels: Float32Array;
  let ours: Float32Array;
  let ourConv1: Float32Array;
  let reference: FaceApiResult;

  before(async () => {
    await tf.setBackend('cpu');
    pixels = await faceCrop();
    const model = await tf.loadLayersModel(MODEL_URL);
    const x = tf.tensor4d(pixels, [1, INPUT, INPUT, 3]);
    const y = model.predict(x) as tf.Tensor;
    ours = y.dataSync() as Float32Array;
    ourConv1 = model.getLayer('conv1').getWeights()[0].dataSync() as Float32Array;
    x.dispose();
    y.dispose();
    model.dispose();
    reference = await faceApiDescriptor(pixels);
  });

  it('loads in TensorFlow.js as a functional layers model with a 128-d output', () => {
    expect(ours.length).to.equal(128);
    expect(reference.descriptor.length).to.equal(128);
  });

  it('keeps the 32 first-layer 7×7×3 filters bit for bit', () => {
    expect(ourConv1.length).to.equal(7 * 7 * 3 * 32);
    expect(maxAbsDiff(ourConv1, reference.conv1)).to.equal(0);
  });

  it("computes face-api's embedding of the astronaut's face within float32 rounding", () => {
    const cos = cosine(ours, reference.descriptor);
    const diff = maxAbsDiff(ours, reference.descriptor);
    const norm = Math.sqrt(reference.descriptor.reduce((n, v) => n + v * v, 0));
    console.log(`face parity: cosine ${cos.toFixed(9)}, max |diff| ${diff.toExponential(3)}, |face-api embedding| ${norm.toFixed(4)}`);
    // A vanishing embedding would make both bounds meaningless.
    expect(norm, 'norm of the embedding').to.be.greaterThan(0.1);
    expect(cos, 'cosine similarity').to.be.greaterThan(0.9999);
    expect(diff, 'max abs difference').to.be.at.most(1e-4);
  });

  it("gives face-api's embedding on our WebGPU engine too, loaded by our own loader", () =>
    withEngine(async (e) => {
      const model = await loadLayersModel(e, MODEL_URL);
      const x = e.tensor(pixels, [1, INPUT, INPUT, 3]);
      const y = model.predict(x);
      const engineEmbedding = await y.read();
      const cos = cosine(engineEmbedding, reference.descriptor);
      const diff = maxAbsDiff(engineEmbedding, reference.descriptor);
      console.log(`face parity on our engine (${e.info.description}): cosine ${cos.toFixed(9)}, max |diff| ${diff.toExponential(3)}`);
      expect(cos, 'cosine similarity').to.be.greaterThan(0.9999);
      expect(diff, 'max abs difference').to.be.at.most(1e-4);
      for (const t of [x, y]) t.dispose();
      model.dispose();
    }));
});
