import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { loadLayersModel, type ModelSource } from '../../src/io/tfjs_layers/reader.js';
import { saveLayersModel } from '../../src/io/tfjs_layers/writer.js';
import { CnnError } from '../../src/errors.js';
import { sequential } from '../../src/nn/sequential.js';
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import { randomizeWeights, saveTf, type Saved } from '../nn/keras_helpers.js';

const L = tf.layers;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function smallCnn(): tf.LayersModel {
  const m = tf.sequential({
    name: 'small_cnn',
    layers: [
      L.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: 'relu' }),
      L.batchNormalization({}),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 5, activation: 'softmax' }),
    ],
  });
  randomizeWeights(m, 1);
  return m;
}

const input = (seed: number, n = 2, shape = [8, 8, 2]) => ({ values: new Rng(seed).uniform(n * shape.reduce((a, b) => a * b, 1)), shape: [n, ...shape] });

/** Predictions of ours and of TF.js on the same random batch agree within 1e-4. */
async function expectSamePredictions(e: Engine, ours: Model, theirs: tf.LayersModel, seed: number): Promise<void> {
  const x = input(seed, 3, [...ours.inputShape]);
  const xt = e.tensor(x.values, x.shape);
  const y = ours.predict(xt);
  const ref = tf.tidy(() => (theirs.predict(tf.tensor(x.values, x.shape)) as tf.Tensor).dataSync());
  expectClose(await y.read(), ref, 'predictions');
  xt.dispose();
  y.dispose();
}

/** Serves `files` (by URL path) through a stand-in for fetch while `body` runs. */
async function withFetch<T>(files: Map<string, BodyInit | (() => Promise<Response>)>, body: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = async (req: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(req instanceof Request ? req.url : String(req));
    init?.signal?.throwIfAborted();
    const f = files.get(url.pathname);
    if (f === undefined) return new Response('no such file', { status: 404, statusText: 'Not Found' });
    return typeof f === 'function' ? f() : new Response(f);
  };
  try {
    return await body();
  } finally {
    globalThis.fetch = real;
  }
}

/** A failed load rejects with a CnnError matching `pattern` and leaves the engine's memory as it found it. */
async function expectLoadError(e: Engine, source: ModelSource, pattern: RegExp, opts = {}): Promise<CnnError> {
  const before = e.memory().buffers;
  let error: unknown = null;
  await loadLayersModel(e, source, opts).then((m) => m.dispose(), (x: unknown) => (error = x));
  expect(error, `expected a CnnError matching ${pattern}`).to.be.instanceOf(CnnError);
  expect((error as Error).message).to.match(pattern);
  expect(e.memory().buffers, 'GPU buffers after the failed load').to.equal(before);
  return error as CnnError;
}

const clone = (j: Json): Json => JSON.parse(JSON.stringify(j)) as Json;

// ---- the TF.js converter's encodings, written here from its formulas (tensorflowjs/quantization.py) ----

function quantize(values: Float32Array, dtype: 'uint8' | 'uint16'): { codes: Uint8Array | Uint16Array; scale: number; min: number } {
  const qmax = dtype === 'uint8' ? 255 : 65535;
  let min = values.reduce((a, b) => Math.min(a, b), Infinity);
  let max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  const codes = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  if (min === max) return { codes, scale: 1, min };
  const scale = (max - min) / qmax;
  if (min <= 0 && max >= 0) {
    // Nudge the range so that 0 is exactly one of the codes.
    min = -Math.round(-min / scale) * scale;
    max = qmax * scale + min;
  }
  values.forEach((v, i) => (codes[i] = Math.round((Math.min(Math.max(v, min), max) - min) / scale)));
  return { codes, scale, min };
}

/** float32 → IEEE half, rounding to nearest even. */
function toHalf(v: number): number {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 112;
  let mant = u & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('loadLayersModel and saveLayersModel', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('loads what TF.js saves, from one buffer, from shards by path, and from dropped files', async (e) => {
    const m = smallCnn();
    const saved = await saveTf(m);
    const sources: [string, ModelSource][] = [
      ['one buffer', { modelJson: saved.modelJson, weights: saved.weightData }],
      ['a Map of shards', { modelJson: JSON.stringify(saved.modelJson), weights: new Map([['weights.bin', saved.weightData]]) }],
      ['dropped files', [new File([JSON.stringify(saved.modelJson)], 'model.json'), new File([saved.weightData], 'weights.bin')]],
    ];
    for (const [what, source] of sources) {
      const model = await loadLayersModel(e, source);
      expect(model.topology, what).to.equal('sequential');
      expect(model.name).to.equal('small_cnn');
      await expectSamePredictions(e, model, m, 2);
      model.dispose();
    }
    expect(e.memory().buffers).to.equal(0);
    m.dispose();
  });

  gpuIt("reads Keras exports: the model_config wrapper, 'Functional', Keras 3 nodes, batch_shape, indexed weight names", async (e) => {
    const inp = tf.input({ shape: [5, 5, 2], name: 'pixels' });
    const a = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv', kernelInitializer: 'heNormal' }).apply(inp) as tf.SymbolicTensor;
    const b = L.conv2d({ filters: 3, kernelSize: 1, name: 'skip' }).apply(inp) as tf.SymbolicTensor;
    const sum = L.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const bn = L.batchNormalization({ name: 'bn' }).apply(sum) as tf.SymbolicTensor;
    const out = L.reLU({ name: 'relu' }).apply(bn) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: out, name: 'keras_net' });
    randomizeWeights(m, 21);
    const saved = await saveTf(m);
    const topo = clone(saved.modelJson.modelTopology as Json);
    const tensorRef = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 5, 5, 3], dtype: 'float32', keras_history: [name, 0, 0] } });
    for (const layer of topo.config.layers as Json[]) {
      const refs = (layer.inbound_nodes as [string, number, number, object][][]).flat().map((r) => tensorRef(r[0]));
      layer.inbound_nodes = refs.length === 0 ? [] : [{ args: refs.length === 1 ? refs : [refs], kwargs: {} }];
      if (layer.class_name === 'InputLayer') {
        layer.config.batch_shape = layer.config.batch_input_shape;
        delete layer.config.batch_input_shape;
      }
      if (layer.class_name === 'BatchNormalization') layer.config.axis = [3];
      if (layer.class_name === 'ReLU') Object.assign(layer.config, { negative_slope: 0, threshold: 0 });
      if (layer.name === 'conv') layer.config.kernel_initializer = { class_name: 'Orthogonal', config: { gain: 1, seed: null } };
    }
    topo.config.input_layers = ['pixels', 0, 0];
    topo.config.output_layers = ['relu', 0, 0];
    const json = clone(saved.modelJson);
    json.modelTopology = { keras_version: '3.3.3', backend: 'tensorflow', model_config: { class_name: 'Functional', config: topo.config } };
    // Keras 3 names weights by position in their layer; TF 2.2 put a cell scope before the weight name.
    const index: Record<string, number> = {};
    for (const w of json.weightsManifest[0].weights as Json[]) {
      const [layer, weight] = (w.name as string).split('/');
      w.name = layer === 'bn' ? `bn/cell/${weight}` : `${layer}/${(index[layer!] = (index[layer!] ?? -1) + 1)}`;
    }
    const model = await loadLayersModel(e, { modelJson: json, weights: saved.weightData });
    expect(model.name).to.equal('keras_net');
    expect(model.topology).to.equal('functional');
    await expectSamePredictions(e, model, m, 22);
    model.dispose();
    m.dispose();
  });

  gpuIt('opens every kind of source: a FileList, and model.json alone as a File, Blob or bytes', async (e) => {
    const m = smallCnn();
    const saved = await saveTf(m);
    const text = JSON.stringify(saved.modelJson);
    const dt = new DataTransfer();
    for (const f of [new File([saved.weightData], 'weights.bin'), new File([text], 'model.json')]) dt.items.add(f);
    const progress: number[] = [];
    const model = await loadLayersModel(e, dt.files, { onProgress: (f) => progress.push(f) });
    await expectSamePredictions(e, model, m, 8);
    expect(progress[0]).to.equal(0);
    expect(progress[progress.length - 1]).to.equal(1);
    model.dispose();
    m.dispose();
    // model.json alone: its shards cannot be found, and the error says so.
    const alone: ModelSource[] = [new File([text], 'model.json'), new Blob([text]), new TextEncoder().encode(text), new TextEncoder().encode(text).buffer];
    for (const source of alone) await expectLoadError(e, source, /weight shard 'weights.bin' is missing: only model.json was given, and it refers to 'weights.bin'/);
    // A model without weights needs nothing else.
    const flat = sequential(e, { inputShape: [2, 3, 1], layers: [{ className: 'Flatten' }] });
    const { modelJson } = await saveLayersModel(flat);
    flat.dispose();
    const loaded = await loadLayersModel(e, new Blob([JSON.stringify(modelJson)]));
    expect([...loaded.outputShape]).to.deep.equal([6]);
    loaded.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('loads from a URL, fetching shards relative to model.json, with progress from 0 to 1', async (e) => {
    const m = smallCnn();
    const saved = await saveTf(m);
    // Two shards with a weight split across them, in a subfolder, as the converter writes them.
    const json = clone(saved.modelJson);
    const cut = 100;
    json.weightsManifest[0].paths = ['shards/group1-shard1of2.bin', 'shards/group1-shard2of2.bin'];
    const files = new Map<string, BodyInit>([
      ['/models/cnn/model.json', JSON.stringify(json)],
      ['/models/cnn/shards/group1-shard1of2.bin', saved.weightData.slice(0, cut)],
      ['/models/cnn/shards/group1-shard2of2.bin', saved.weightData.slice(cut)],
    ]);
    const progress: number[] = [];
    const model = await withFetch(files, () => loadLayersModel(e, 'http://models.test/models/cnn/model.json', { onProgress: (f) => progress.push(f) }));
    await expectSamePredictions(e, model, m, 3);
    expect(progress[0]).to.equal(0);
    expect(progress[progress.length - 1]).to.equal(1);
    expect(progress.length).to.be.at.least(3);
    progress.forEach((p, i) => expect(p, 'progress never goes back').to.be.at.least(progress[i - 1] ?? 0));
    model.dispose();
    m.dispose();
  });

  gpuIt('loads the shipped face model over HTTP (two uint8-quantized shards) with real fetches', async (e) => {
    let last = 0;
    const model = await loadLayersModel(e, new URL('/demo/models/face-recognition/model.json', location.href).href, { onProgress: (f) => (last = f) });
    expect(last).to.equal(1);
    expect([...model.inputShape]).to.deep.equal([150, 150, 3]);
    expect(model.layers.length).to.be.above(50);
    expect(model.namedWeights().length).to.be.above(50);
    model.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('dequantizes uint8, uint16 and float16 weights to within a quantization step, as tf.io.decodeWeights does', async (e) => {
    const m = smallCnn();
    const saved = await saveTf(m);
    const floats = tf.io.decodeWeights(saved.weightData, saved.weightSpecs);
    const encodings: Record<string, 'uint8' | 'uint16' | 'float16' | 'float32'> = {};
    saved.weightSpecs.forEach((s, i) => (encodings[s.name] = (['uint8', 'uint16', 'float16', 'float32'] as const)[i % 4]!));
    // Group 1: float32 and float16 in one shard. Group 2: uint8 and uint16, split over two shards mid-weight.
    const groups: { specs: Json[]; parts: Uint8Array[] }[] = [{ specs: [], parts: [] }, { specs: [], parts: [] }];
    const steps = new Map<string, number>();
    for (const spec of saved.weightSpecs) {
      const values = floats[spec.name]!.dataSync() as Float32Array;
      const enc = encodings[spec.name]!;
      const base = { name: spec.name, shape: spec.shape, dtype: 'float32' };
      if (enc === 'uint8' || enc === 'uint16') {
        const q = quantize(values, enc);
        groups[1]!.specs.push({ ...base, quantization: { dtype: enc, scale: q.scale, min: q.min } });
        groups[1]!.parts.push(bytesOf(q.codes));
        steps.set(spec.name, q.scale);
      } else if (enc === 'float16') {
        groups[0]!.specs.push({ ...base, quantization: { dtype: 'float16' } });
        groups[0]!.parts.push(bytesOf(Uint16Array.from(values, toHalf)));
      } else {
        groups[0]!.specs.push(base);
        groups[0]!.parts.push(bytesOf(values.slice()));
      }
    }
    const g1 = join(groups[0]!.parts);
    const g2 = join(groups[1]!.parts);
    const json = clone(saved.modelJson);
    json.weightsManifest = [
      { paths: ['group1-shard1of1.bin'], weights: groups[0]!.specs },
      { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: groups[1]!.specs },
    ];
    const split = Math.floor(g2.length / 2) + 1;
    const shards = new Map([
      ['group1-shard1of1.bin', g1.slice().buffer],
      ['group2-shard1of2.bin', g2.slice(0, split).buffer],
      ['group2-shard2of2.bin', g2.slice(split).buffer],
    ]);
    const model = await loadLayersModel(e, { modelJson: json, weights: shards });
    const reference = {
      ...tf.io.decodeWeights(g1.slice().buffer, groups[0]!.specs as tf.io.WeightsManifestEntry[]),
      ...tf.io.decodeWeights(g2.slice().buffer, groups[1]!.specs as tf.io.WeightsManifestEntry[]),
    };
    for (const w of model.namedWeights()) {
      const ours = await w.tensor.read();
      const original = floats[w.name]!.dataSync();
      expect([...ours], `${w.name} (${encodings[w.name]}) equals tf.io.decodeWeights`).to.deep.equal([...reference[w.name]!.dataSync()]);
      const enc = encodings[w.name]!;
      ours.forEach((v, i) => {
        const o = original[i]!;
        const bound = enc === 'float16' ? Math.abs(o) * 2 ** -11 + 2 ** -24 : enc === 'float32' ? 0 : steps.get(w.name)!;
        if (Math.abs(v - o) > bound) throw new Error(`${w.name} (${enc}) [${i}]: ${v} is more than ${bound} from ${o}`);
      });
    }
    // TF.js reading the same quantized files predicts what we predict.
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: [...groups[0]!.specs, ...groups[1]!.specs] as tf.io.WeightsManifestEntry[],
      weightData: join([g1, g2]).buffer,
    }));
    await expectSamePredictions(e, model, theirs, 4);
    model.dispose();
    theirs.dispose();
    m.dispose();
    tf.dispose(Object.values(reference));
    tf.dispose(Object.values(floats));
  });

  gpuIt('int32 weights become floats', async (e) => {
    const model = sequential(e, { inputShape: [3], layers: [{ className: 'Dense', config: { units: 2, name: 'd' } }] });
    const { modelJson } = await saveLayersModel(model);
    model.dispose();
    const json = clone(modelJson);
    json.weightsManifest[0].weights = [
      { name: 'd/kernel', shape: [3, 2], dtype: 'int32' },
      { name: 'd/bias', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
    ];
    const data = join([bytesOf(new Int32Array([1, -2, 3, 4, -5, 6])), new Uint8Array([3, 8])]);
    const loaded = await loadLayersModel(e, { modelJson: json, weights: data.slice().buffer });
    expect([...(await loaded.namedWeights()[0]!.tensor.read())]).to.deep.equal([1, -2, 3, 4, -5, 6]);
    expect([...(await loaded.namedWeights()[1]!.tensor.read())], 'round(q·scale + min)').to.deep.equal([1, 3]);
    loaded.dispose();
  });

  gpuIt('what we save, tf.loadLayersModel reads with the same predictions (Sequential and functional)', async (e) => {
    const ours = sequential(e, {
      name: 'ours',
      inputShape: [10, 10, 3],
      layers: [
        { className: 'Rescaling', config: { scale: 2, offset: -1 } },
        { className: 'ZeroPadding2D', config: { padding: [1, 2] } },
        { className: 'Conv2D', config: { filters: 6, kernel_size: 3, strides: 2, activation: 'relu', kernel_initializer: 'he_normal' } },
        { className: 'DepthwiseConv2D', config: { kernel_size: 3, depth_multiplier: 2, padding: 'same', bias_initializer: 'glorot_uniform' } },
        { className: 'SeparableConv2D', config: { filters: 4, kernel_size: 2, depth_multiplier: 2, activation: 'relu6', bias_initializer: 'glorot_uniform' } },
        { className: 'BatchNormalization', config: { beta_initializer: 'glorot_uniform' } },
        { className: 'LeakyReLU', config: { alpha: 0.2 } },
        { className: 'AveragePooling2D', config: { pool_size: 2, strides: 1, padding: 'same' } },
        { className: 'ReLU', config: { max_value: 1.5 } },
        { className: 'MaxPooling2D', config: { pool_size: 2 } },
        { className: 'Dropout', config: { rate: 0.1 } },
        { className: 'Reshape', config: { target_shape: [2, -1] } },
        { className: 'Flatten' },
        { className: 'Dense', config: { units: 6, activation: 'sigmoid', bias_initializer: 'glorot_uniform' } },
        { className: 'Activation', config: { activation: 'softmax' } },
      ],
      seed: 8,
    });
    const { modelJson, weightData } = await saveLayersModel(ours);
    expect(modelJson.format).to.equal('layers-model');
    expect((modelJson.weightsManifest as Json[])[0]!.paths).to.deep.equal(['weights.bin']);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as object,
      weightSpecs: (modelJson.weightsManifest as Json[])[0]!.weights,
      weightData,
    }));
    expect(theirs.layers.map((l) => l.name)).to.deep.equal(ours.layers.slice(1).map((l) => l.name));
    await expectSamePredictions(e, ours, theirs, 5);
    // And back: our saved files load into an identical model.
    const again = await loadLayersModel(e, { modelJson, weights: weightData });
    const [a, b] = await Promise.all([ours, again].map((m) => Promise.all(m.namedWeights().map(async (w) => [w.name, [...(await w.tensor.read())]]))));
    expect(b).to.deep.equal(a);
    again.dispose();
    theirs.dispose();
    ours.dispose();

    // A functional model (residual add, concatenation) survives TF.js → ours → TF.js.
    const inp = tf.input({ shape: [6, 6, 2] });
    const c1 = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(inp) as tf.SymbolicTensor;
    const sum = L.add().apply([inp, c1]) as tf.SymbolicTensor;
    const cat = L.concatenate().apply([sum, inp]) as tf.SymbolicTensor;
    const pooled = L.globalAveragePooling2d({}).apply(cat) as tf.SymbolicTensor;
    const original = tf.model({ inputs: inp, outputs: L.dense({ units: 3 }).apply(pooled) as tf.SymbolicTensor });
    randomizeWeights(original, 9);
    const tfSaved = await saveTf(original);
    const loaded = await loadLayersModel(e, { modelJson: tfSaved.modelJson, weights: tfSaved.weightData });
    expect(loaded.topology).to.equal('functional');
    const resaved = await saveLayersModel(loaded);
    const back = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: resaved.modelJson.modelTopology as object,
      weightSpecs: (resaved.modelJson.weightsManifest as Json[])[0]!.weights,
      weightData: resaved.weightData,
    }));
    const x = input(6, 2, [6, 6, 2]);
    const [p1, p2] = tf.tidy(() => [original, back].map((mm) => (mm.predict(tf.tensor(x.values, x.shape)) as tf.Tensor).dataSync()));
    expectClose(p2!, p1!, 'TF.js → ours → TF.js predictions');
    await expectSamePredictions(e, loaded, original, 7);
    for (const mm of [original, back]) mm.dispose();
    loaded.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('bad files fail with errors naming the layer, weight or file, and leave no GPU memory behind', async (e) => {
    const m = smallCnn();
    const saved: Saved = await saveTf(m);
    m.dispose();
    const conv = (saved.modelJson.modelTopology as Json).config.layers[0].config.name as string;
    const src = (edit: (j: Json) => void, weights: ArrayBuffer | Map<string, ArrayBuffer> = saved.weightData): ModelSource => {
      const j = clone(saved.modelJson);
      edit(j);
      return { modelJson: j, weights };
    };
    const bytes = saved.weightData.byteLength;

    await expectLoadError(e, src((j) => (j.modelTopology.config.layers[2].class_name = 'SpatialPyramidPooling')),
      /layer 'max_pooling2d_MaxPooling2D\d+' has the unsupported class "SpatialPyramidPooling" \(supported: Conv2D, /);
    await expectLoadError(e, src(() => {}, new Map()), /weight shard 'weights.bin' is missing \(given: none\)/);
    await expectLoadError(e, [new File([JSON.stringify(saved.modelJson)], 'model.json'), new File([saved.weightData], 'other.bin')],
      /weight shard 'weights.bin' is missing: it was not among the files given \(model.json, other.bin\)/);
    await expectLoadError(e, src(() => {}, saved.weightData.slice(0, bytes - 10)),
      new RegExp(`weight shard 'weights.bin' is truncated: expected ${bytes} bytes, got ${bytes - 10}; weight '.*' runs past the end`));
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].shape = [3, 3, 3, 4])),
      new RegExp(`weight '${conv}/kernel' \\(in weights.bin\\) has shape \\[3, 3, 3, 4\\] in the weights manifest, but Conv2D '${conv}' expects \\[3, 3, 2, 4\\]`));
    await expectLoadError(e, src((j) => j.weightsManifest[0].weights.splice(1, 1)), new RegExp(`weight '${conv}/bias' of Conv2D '${conv}' is missing from the weights manifest`));
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].name = 'stray/kernel')), /the weights manifest has weight 'stray\/kernel' \(in weights.bin\), which matches no weight of the model/);
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].shape = [3, 3, -2, 4])), /weight '.*\/kernel' has shape \[3,3,-2,4\]; a shape must be a list of non-negative integers/);
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].shape = [100000, 100000])), /weight '.*\/kernel' has shape \[100000, 100000\] \(10000000000 values\), more than 1024 MiB; refusing to load it/);
    await expectLoadError(e, src((j) => j.weightsManifest[0].weights.push(...Array.from({ length: 5 }, (_, i) => ({ name: `huge${i}`, shape: [8192, 8192], dtype: 'float32' })))),
      /the weights manifest asks for more than 1024 MiB of weights \(reached at 'huge3' \[8192, 8192\]\); refusing to load it/);
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'int4' })), /weight '.*\/kernel' has the unknown quantization dtype "int4"/);
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: 0 })), /weight '.*\/kernel' is quantized to uint8 but its quantization lacks a finite "scale" and "min"/);
    await expectLoadError(e, src((j) => (j.weightsManifest[0].weights[0].dtype = 'string')), /weight '.*\/kernel' has dtype 'string'; only float32, int32 and bool/);
    await expectLoadError(e, src((j) => delete j.weightsManifest), /model.json has no weightsManifest/);
    await expectLoadError(e, src((j) => (j.modelTopology = { node: [], library: {} })), /modelTopology is a TensorFlow graph \(a graph model\), not a layers model/);
    await expectLoadError(e, src((j) => (j.modelTopology.config.layers[0].config.data_format = 'channels_first')), new RegExp(`Conv2D '${conv}': data_format 'channels_first' is not supported`));
    await expectLoadError(e, [new File(['{"modelTopology": '], 'model.json')], /the file model.json is not valid JSON/);
    await expectLoadError(e, [new File([saved.weightData], 'weights.bin')], /no model.json among the 1 files given \(weights.bin\)/);
    await expectLoadError(e, 42 as unknown as ModelSource, /the source must be a model.json URL/);
    const files = new Map<string, BodyInit>([['/m/model.json', JSON.stringify(saved.modelJson)]]);
    await withFetch(files, () => expectLoadError(e, 'http://models.test/m/model.json', /weight shard 'weights.bin' could not be fetched from http:\/\/models.test\/m\/weights.bin \(HTTP 404 Not Found\)/));
    await withFetch(files, () => expectLoadError(e, 'http://models.test/nothing/model.json', /model.json could not be fetched from http:\/\/models.test\/nothing\/model.json \(HTTP 404/));

    // A failure while uploading (here a simulated one on the 4th weight) frees the weights already uploaded.
    const realTensor = e.tensor.bind(e);
    let calls = 0;
    e.tensor = (data, shape) => {
      if (++calls === 4) throw new Error('simulated out-of-memory on upload');
      return realTensor(data, shape);
    };
    await expectLoadError(e, src(() => {}), /simulated out-of-memory on upload/);
    e.tensor = realTensor;
    expect(calls).to.equal(4);
    const ok = await loadLayersModel(e, src(() => {}));
    ok.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('an AbortSignal stops a load before or while shards are fetched, leaving nothing behind', async (e) => {
    const m = smallCnn();
    const saved = await saveTf(m);
    m.dispose();
    const before = new AbortController();
    before.abort(new DOMException('stop', 'AbortError'));
    const early = await expectLoadError(e, { modelJson: saved.modelJson, weights: saved.weightData }, /^loadLayersModel: aborted \(stop\)/, { signal: before.signal });
    expect(early.name).to.equal('AbortError');

    const during = new AbortController();
    let asked!: () => void;
    const requested = new Promise<void>((r) => (asked = r));
    const files = new Map<string, BodyInit | (() => Promise<Response>)>([
      ['/m/model.json', JSON.stringify(saved.modelJson)],
      ['/m/weights.bin', () => {
        asked();
        return new Promise<Response>((_, reject) => during.signal.addEventListener('abort', () => reject(during.signal.reason)));
      }],
    ]);
    await withFetch(files, async () => {
      const loading = expectLoadError(e, 'http://models.test/m/model.json', /aborted \(user cancelled\)/, { signal: during.signal });
      await requested;
      during.abort(new DOMException('user cancelled', 'AbortError'));
      expect((await loading).name).to.equal('AbortError');
    });
    expect(e.memory().buffers).to.equal(0);
  });
});
