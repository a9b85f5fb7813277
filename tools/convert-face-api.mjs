#!/usr/bin/env node
// `npm run convert:face`: turns the face-recognition network that @vladmandic/face-api ships
// (model/face_recognition_model-weights_manifest.json + .bin) into a TensorFlow.js LAYERS model
// (functional graph: model.json + weight shards) in demo/models/face-recognition/, so the viewer can
// load it like any Keras export and show every intermediate output by name.
//
// The architecture is read off face-api's src/faceRecognitionNet (FaceRecognitionNet.ts, convLayer.ts,
// residualLayer.ts, scaleLayer.ts). Its forward pass, for a 150×150 RGB input x in 0..255:
//   x = (x - [122.782, 117.001, 104.298]) / 255
//   convDown(conv32_down): conv 7×7 stride 2 'valid' + bias, scale layer (x·w + b), relu   150 → 72
//   maxPool 3×3 stride 2 'valid'                                                           72 → 35
//   residual ×3 (conv32_1..3), residualDown (conv64_down), residual ×3 (conv64_1..3),
//   residualDown (conv128_down), residual ×2, residualDown (conv256_down), residual ×2,
//   residualDown (conv256_down_out); mean over H and W; matMul with fc [256, 128] (no bias).
// residual(x)     = relu(scale(conv3×3(relu(scale(conv3×3(x))))) + x)
// residualDown(x) = relu(out + shortcut), out = scale(conv3×3 'same'(relu(scale(conv3×3 stride 2 'valid'(x)))))
//                   shortcut = avgPool 2×2 stride 2 'valid'(x), with zero channels appended when out has
//                   more channels, and out padded with one zero row (bottom) and column (right) when the
//                   pooled map is one larger (8 → 3 vs 4, 4 → 1 vs 2).
//
// Mapping onto Keras layers (names follow ResNet's: stage 2..5, blocks a, b, c, d):
//   face-api                     this model
//   normalize + div(255)         normalize        BatchNormalization, moving_mean = mean RGB, gamma = 1/255
//   conv32_down                  conv1, conv1_scale (BatchNormalization), conv1_relu, pool1
//   conv32_1..3                  res2a..res2c
//   conv64_down, conv64_1..3     res3a (down), res3b..res3d
//   conv128_down, conv128_1..2   res4a (down), res4b, res4c
//   conv256_down, conv256_1..2   res5a (down), res5b, res5c
//   conv256_down_out             res5d (down, 256 → 256 channels)
//   mean([1, 2]), fc             avg_pool (GlobalAveragePooling2D), embedding (Dense 128, no bias)
// Each block: <b>_conv1, <b>_scale1, <b>_relu1, <b>_conv2, <b>_scale2, <b>_add, <b>_relu; a down block also
// has <b>_pool (AveragePooling2D), and where face-api pads, <b>_zeros (Rescaling by 0) + <b>_shortcut
// (Concatenate) for the extra channels and <b>_pad (ZeroPadding2D [[0, 1], [0, 1]]) for the extra row/column.
//
// The scale layer y = x·w + b is a BatchNormalization with moving_mean 0, gamma w, beta b and
// moving_variance + epsilon = 1 exactly: epsilon = 2^-10 and moving_variance = 1 - 2^-10 are both exact in
// float32 and their sum is exactly 1, so (x - 0) / sqrt(1) · w + b is the scale layer to the last bit of the
// formula, and any loader (even one that insists on epsilon > 0, as Keras does) reads it.
//
// Weights: by default each face-api weight keeps its own encoding — the uint8 codes with the same
// {scale, min}, or float32 where face-api stores float32 — so the dequantized values (v·scale + min, as
// tfjs-core's decodeWeights computes) are bit for bit those face-api uses, at face-api's size (6.4 MB
// instead of 22.5 MB). `--float32` writes every weight as float32 instead. The constants this script adds
// (moving means and variances) are float32. Shards are split at 4 MiB like the TensorFlow.js converter's.
//
// Usage: node tools/convert-face-api.mjs [--float32] [--out DIR]
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIR = join(ROOT, 'node_modules/@vladmandic/face-api/model');
const MANIFEST = 'face_recognition_model-weights_manifest.json';
const SHARD_BYTES = 4 * 1024 * 1024;
const MEAN_RGB = [122.782, 117.001, 104.298];
// 2^-10: epsilon and 1 - epsilon are exact in float32 and sum to exactly 1 (see the header).
const EPSILON = 2 ** -10;

function fail(message) {
  console.error(`convert-face-api: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { float32: false, out: join(ROOT, 'demo/models/face-recognition') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--float32') opts.float32 = true;
    else if (argv[i] === '--out' && argv[i + 1]) opts.out = resolve(argv[++i]);
    else fail(`unknown argument ${argv[i]} (usage: convert-face-api.mjs [--float32] [--out DIR])`);
  }
  return opts;
}

const BYTES_PER = { uint8: 1, uint16: 2, float16: 2 };

/** Reads face-api's manifest and shards into name → {shape, raw bytes, quantization, values (float32)}. */
function readFaceApiWeights() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(SOURCE_DIR, MANIFEST), 'utf8'));
  } catch (e) {
    fail(`cannot read ${join(SOURCE_DIR, MANIFEST)} (is @vladmandic/face-api installed?): ${e.message}`);
  }
  const weights = new Map();
  for (const group of manifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(SOURCE_DIR, p))));
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') fail(`${spec.name}: unexpected dtype ${spec.dtype}`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const q = spec.quantization;
      if (q && q.dtype !== 'uint8' && q.dtype !== 'uint16') fail(`${spec.name}: unsupported quantization ${q.dtype}`);
      const size = count * (q ? BYTES_PER[q.dtype] : 4);
      if (offset + size > bytes.length) fail(`${spec.name}: the shards of ${MANIFEST} are truncated`);
      // A copy, so typed-array views below start at offset 0 (alignment).
      const raw = Uint8Array.prototype.slice.call(bytes, offset, offset + size);
      offset += size;
      let values;
      if (q) {
        const codes = q.dtype === 'uint8' ? raw : new Uint16Array(raw.buffer);
        // Exactly tfjs-core's decodeWeights: v * scale + min in double, stored as float32.
        values = new Float32Array(count);
        for (let i = 0; i < count; i++) values[i] = codes[i] * q.scale + q.min;
      } else {
        values = new Float32Array(raw.buffer);
      }
      weights.set(spec.name, { shape: spec.shape, raw, quantization: q, values });
    }
    if (offset !== bytes.length) fail(`${MANIFEST}: ${bytes.length - offset} bytes left over in ${group.paths}`);
  }
  return weights;
}

/** Builds the Keras functional graph; records every weight it takes so nothing is silently dropped. */
class GraphBuilder {
  constructor(source, float32) {
    this.source = source;
    this.float32 = float32;
    this.layers = [];
    this.weightEntries = []; // {name, shape, dtype, quantization?, bytes}
    this.used = new Set();
    this.shapes = new Map(); // layer name → output shape without batch
  }

  add(className, name, config, inputs, outShape) {
    if (this.shapes.has(name)) throw new Error(`duplicate layer name ${name}`);
    this.layers.push({
      class_name: className,
      config: { name, trainable: true, dtype: 'float32', ...config },
      name,
      inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : [],
    });
    this.shapes.set(name, outShape);
    return name;
  }

  /** A weight copied from face-api, in its own encoding unless --float32. */
  takeWeight(layerWeightName, sourceName, expectShape) {
    const w = this.source.get(sourceName);
    if (!w) fail(`face-api weight ${sourceName} is missing`);
    if (JSON.stringify(w.shape) !== JSON.stringify(expectShape)) {
      fail(`face-api weight ${sourceName} has shape [${w.shape}], the architecture expects [${expectShape}]`);
    }
    this.used.add(sourceName);
    if (w.quantization && !this.float32) {
      const { dtype, scale, min } = w.quantization;
      this.weightEntries.push({ name: layerWeightName, shape: w.shape, dtype: 'float32', quantization: { dtype, scale, min }, bytes: w.raw });
    } else {
      this.constant(layerWeightName, w.shape, w.values);
    }
  }

  constant(layerWeightName, shape, values) {
    const f32 = Float32Array.from(values);
    this.weightEntries.push({ name: layerWeightName, shape, dtype: 'float32', bytes: new Uint8Array(f32.buffer) });
  }

  shape(name) {
    return this.shapes.get(name);
  }
}

function convOut(size, k, stride, padding) {
  return padding === 'same' ? Math.ceil(size / stride) : Math.ceil((size - k + 1) / stride);
}

const INIT = {
  glorot: { class_name: 'GlorotUniform', config: { seed: null } },
  zeros: { class_name: 'Zeros', config: {} },
  ones: { class_name: 'Ones', config: {} },
};

function conv2d(g, name, input, src, { filters, kernel, stride, padding }) {
  const [h, w, c] = g.shape(input);
  g.add('Conv2D', name, {
    filters,
    kernel_size: [kernel, kernel],
    strides: [stride, stride],
    padding,
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    activation: 'linear',
    use_bias: true,
    kernel_initializer: INIT.glorot,
    bias_initializer: INIT.zeros,
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  }, [input], [convOut(h, kernel, stride, padding), convOut(w, kernel, stride, padding), filters]);
  g.takeWeight(`${name}/kernel`, `${src}/filters`, [kernel, kernel, c, filters]);
  g.takeWeight(`${name}/bias`, `${src}/bias`, [filters]);
  return name;
}

function batchNorm(g, name, input, channels) {
  g.add('BatchNormalization', name, {
    axis: -1,
    momentum: 0.99,
    epsilon: EPSILON,
    center: true,
    scale: true,
    beta_initializer: INIT.zeros,
    gamma_initializer: INIT.ones,
    moving_mean_initializer: INIT.zeros,
    moving_variance_initializer: INIT.ones,
    beta_regularizer: null,
    gamma_regularizer: null,
    beta_constraint: null,
    gamma_constraint: null,
  }, [input], g.shape(input));
  if (g.shape(input)[2] !== channels) throw new Error(`${name}: ${channels} channels expected`);
  return name;
}

/** face-api's scale layer (x·w + b per channel) as a BatchNormalization whose normalisation is the identity. */
function scaleLayer(g, name, input, src) {
  const c = g.shape(input)[2];
  batchNorm(g, name, input, c);
  g.takeWeight(`${name}/gamma`, `${src}/weights`, [c]);
  g.takeWeight(`${name}/beta`, `${src}/biases`, [c]);
  g.constant(`${name}/moving_mean`, [c], new Float32Array(c));
  g.constant(`${name}/moving_variance`, [c], new Float32Array(c).fill(1 - EPSILON));
  return name;
}

function relu(g, name, input) {
  return g.add('Activation', name, { activation: 'relu' }, [input], g.shape(input));
}

/** face-api's convLayer: conv + bias, scale, optional relu. */
function convScale(g, block, i, input, src, { filters, stride, padding, withRelu }) {
  let x = conv2d(g, `${block}_conv${i}`, input, `${src}/conv`, { filters, kernel: 3, stride, padding });
  x = scaleLayer(g, `${block}_scale${i}`, x, `${src}/scale`);
  return withRelu ? relu(g, `${block}_relu${i}`, x) : x;
}

/** face-api's residual(): identity shortcut. */
function residual(g, block, input, src) {
  const filters = g.shape(input)[2];
  let x = convScale(g, block, 1, input, `${src}/conv1`, { filters, stride: 1, padding: 'same', withRelu: true });
  x = convScale(g, block, 2, x, `${src}/conv2`, { filters, stride: 1, padding: 'same', withRelu: false });
  const sum = g.add('Add', `${block}_add`, {}, [x, input], g.shape(input));
  return relu(g, `${block}_relu`, sum);
}

/** face-api's residualDown(): stride-2 'valid' conv, average-pooled shortcut, zero padding where shapes differ. */
function residualDown(g, block, input, src, filters) {
  let x = convScale(g, block, 1, input, `${src}/conv1`, { filters, stride: 2, padding: 'valid', withRelu: true });
  x = convScale(g, block, 2, x, `${src}/conv2`, { filters, stride: 1, padding: 'same', withRelu: false });

  const [h, w, c] = g.shape(input);
  const pooledShape = [Math.floor(h / 2), Math.floor(w / 2), c];
  let shortcut = g.add('AveragePooling2D', `${block}_pool`, {
    pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last',
  }, [input], pooledShape);

  const [oh, ow] = g.shape(x);
  if (oh !== pooledShape[0] || ow !== pooledShape[1]) {
    // face-api concatenates one zero row below and one zero column to the right of out.
    if (pooledShape[0] !== oh + 1 || pooledShape[1] !== ow + 1) throw new Error(`${block}: unexpected shapes`);
    x = g.add('ZeroPadding2D', `${block}_pad`, { padding: [[0, 1], [0, 1]], data_format: 'channels_last' }, [x], [oh + 1, ow + 1, filters]);
  }
  if (c !== filters) {
    // face-api concatenates zeros of the pooled shape on the channel axis: pooled · 0 is that tensor.
    if (filters !== 2 * c) throw new Error(`${block}: unexpected channel counts`);
    const zeros = g.add('Rescaling', `${block}_zeros`, { scale: 0, offset: 0 }, [shortcut], pooledShape);
    shortcut = g.add('Concatenate', `${block}_shortcut`, { axis: -1 }, [shortcut, zeros], [pooledShape[0], pooledShape[1], filters]);
  }
  const sum = g.add('Add', `${block}_add`, {}, [x, shortcut], g.shape(x));
  return relu(g, `${block}_relu`, sum);
}

function buildModel(source, float32) {
  const g = new GraphBuilder(source, float32);
  let x = g.add('InputLayer', 'input', { batch_input_shape: [null, 150, 150, 3], sparse: false, ragged: false }, [], [150, 150, 3]);

  // (x - mean) / 255 as (x - moving_mean) / sqrt(moving_variance + epsilon) · gamma with the root exactly 1.
  x = batchNorm(g, 'normalize', x, 3);
  g.constant('normalize/gamma', [3], new Float32Array(3).fill(1 / 255));
  g.constant('normalize/beta', [3], new Float32Array(3));
  g.constant('normalize/moving_mean', [3], MEAN_RGB);
  g.constant('normalize/moving_variance', [3], new Float32Array(3).fill(1 - EPSILON));

  x = conv2d(g, 'conv1', x, 'conv32_down/conv', { filters: 32, kernel: 7, stride: 2, padding: 'valid' });
  x = scaleLayer(g, 'conv1_scale', x, 'conv32_down/scale');
  x = relu(g, 'conv1_relu', x);
  const [h, w] = g.shape(x);
  x = g.add('MaxPooling2D', 'pool1', { pool_size: [3, 3], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
    [x], [convOut(h, 3, 2, 'valid'), convOut(w, 3, 2, 'valid'), 32]);

  x = residual(g, 'res2a', x, 'conv32_1');
  x = residual(g, 'res2b', x, 'conv32_2');
  x = residual(g, 'res2c', x, 'conv32_3');
  x = residualDown(g, 'res3a', x, 'conv64_down', 64);
  x = residual(g, 'res3b', x, 'conv64_1');
  x = residual(g, 'res3c', x, 'conv64_2');
  x = residual(g, 'res3d', x, 'conv64_3');
  x = residualDown(g, 'res4a', x, 'conv128_down', 128);
  x = residual(g, 'res4b', x, 'conv128_1');
  x = residual(g, 'res4c', x, 'conv128_2');
  x = residualDown(g, 'res5a', x, 'conv256_down', 256);
  x = residual(g, 'res5b', x, 'conv256_1');
  x = residual(g, 'res5c', x, 'conv256_2');
  x = residualDown(g, 'res5d', x, 'conv256_down_out', 256);

  x = g.add('GlobalAveragePooling2D', 'avg_pool', { data_format: 'channels_last' }, [x], [256]);
  x = g.add('Dense', 'embedding', {
    units: 128,
    activation: 'linear',
    use_bias: false,
    kernel_initializer: INIT.glorot,
    bias_initializer: INIT.zeros,
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  }, [x], [128]);
  // face-api's fc is [256, 128] (input × output), Keras's Dense kernel layout.
  g.takeWeight('embedding/kernel', 'fc', [256, 128]);

  const unused = [...source.keys()].filter((k) => !g.used.has(k));
  if (unused.length) fail(`face-api weights not mapped onto any layer: ${unused.join(', ')}`);
  return g;
}

function writeModel(g, outDir) {
  const total = g.weightEntries.reduce((n, e) => n + e.bytes.length, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const e of g.weightEntries) {
    data.set(e.bytes, offset);
    offset += e.bytes.length;
  }
  const shardCount = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const paths = [];
  mkdirSync(outDir, { recursive: true });
  // Stale shards from an earlier run with another shard count would be confusing next to the new ones.
  for (const f of readdirSync(outDir)) if (/^group1-shard\d+of\d+\.bin$/.test(f)) rmSync(join(outDir, f));
  for (let i = 0; i < shardCount; i++) {
    const path = `group1-shard${i + 1}of${shardCount}.bin`;
    writeFileSync(join(outDir, path), data.subarray(i * SHARD_BYTES, Math.min(total, (i + 1) * SHARD_BYTES)));
    paths.push(path);
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'tools/convert-face-api.mjs from @vladmandic/face-api model/face_recognition_model',
    convertedBy: 'cnn-webgpu tools/convert-face-api.mjs',
    modelTopology: {
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'face_recognition',
          layers: g.layers,
          input_layers: [['input', 0, 0]],
          output_layers: [['embedding', 0, 0]],
        },
      },
    },
    weightsManifest: [{
      paths,
      weights: g.weightEntries.map(({ name, shape, dtype, quantization }) => (quantization ? { name, shape, dtype, quantization } : { name, shape, dtype })),
    }],
  };
  writeFileSync(join(outDir, 'model.json'), JSON.stringify(modelJson, null, 1) + '\n');
  return { total, paths };
}

const opts = parseArgs(process.argv.slice(2));
const source = readFaceApiWeights();
const graph = buildModel(source, opts.float32);
const { total, paths } = writeModel(graph, opts.out);
const params = graph.weightEntries.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
console.log(`convert-face-api: ${graph.layers.length} layers, ${params} values, ${(total / 1e6).toFixed(2)} MB in ${paths.length} shard(s)`
  + ` (${opts.float32 ? 'all float32' : 'face-api encodings kept'}) → ${opts.out}`);
