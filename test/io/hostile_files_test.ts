/**
 * Model files made to hurt: shards of the wrong length, names that every JavaScript object inherits,
 * nesting deep enough to overflow a recursive walk, absurd layer counts, and a model.json behind a
 * blob: URL. Each must fail with a CnnError that names what was wrong, or load correctly; none may
 * load silently wrong. The real model is the shipped MNIST one (demo/models/mnist), fetched over HTTP.
 */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import type { Engine } from '../../src/engine.js';
import { CnnError } from '../../src/errors.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { loadModel } from '../../src/io/load_model.js';
import { loadOnnxModel } from '../../src/io/onnx/loader.js';
import { encodeModel } from '../../src/io/onnx/encode.js';
import { parseActivation } from '../../src/nn/activations.js';
import { parseInitializer } from '../../src/nn/initializers.js';
import { createLayer } from '../../src/nn/layers/registry.js';
import { MAX_LAYERS } from '../../src/nn/model_import.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MNIST = '/demo/models/mnist/';
const INHERITED = ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty'];

async function mnist(): Promise<{ json: Json; weights: Uint8Array }> {
  const [json, weights] = await Promise.all([fetch(`${MNIST}model.json`).then((r) => r.json()), fetch(`${MNIST}weights.bin`).then((r) => r.arrayBuffer())]);
  return { json: json as Json, weights: new Uint8Array(weights) };
}

/** The model.json with its one group split into shards at `cuts`, and the shards as Files. */
function sharded(m: { json: Json; weights: Uint8Array }, parts: Uint8Array[]): File[] {
  const json = structuredClone(m.json);
  const paths = parts.map((_, i) => `group1-shard${i + 1}of${parts.length}.bin`);
  json.weightsManifest[0].paths = paths;
  return [new File([JSON.stringify(json)], 'model.json'), ...parts.map((p, i) => new File([p as BlobPart], paths[i]!))];
}

async function expectLoadError(e: Engine, load: () => Promise<{ dispose(): void }>, pattern: RegExp): Promise<void> {
  const before = e.memory().buffers;
  let error: unknown = null;
  await load().then((m) => m.dispose(), (x: unknown) => (error = x));
  expect(error, `expected a CnnError matching ${pattern}`).to.be.instanceOf(CnnError);
  expect((error as Error).message).to.match(pattern);
  expect(e.memory().buffers, 'GPU buffers after the failed load').to.equal(before);
}

/** A Sequential model.json of `n` weightless layers. */
function deepSequential(n: number): Json {
  const layers = Array.from({ length: n }, (_, i) => ({ class_name: 'Activation', config: { name: `a${i}`, activation: 'relu', ...(i === 0 ? { batch_input_shape: [null, 4] } : {}) } }));
  return { modelTopology: { class_name: 'Sequential', config: { name: 'deep', layers } }, weightsManifest: [] };
}

describe('loading hostile model files', () => {
  gpuIt('shards whose lengths disagree with the manifest fail naming the shard and the byte difference', async (e) => {
    const m = await mnist();
    const total = m.weights.byteLength;
    const cut = 262144;
    const head = m.weights.subarray(0, cut);
    const tail = m.weights.subarray(cut);
    const junk = new Uint8Array([1, 2, 3]);
    const join = (...a: Uint8Array[]) => new Uint8Array(a.flatMap((x) => [...x]));

    // A first shard 3 bytes longer than its share (the next shard full): every later weight would shift.
    await expectLoadError(e, () => loadLayersModel(e, sharded(m, [join(head, junk), tail])),
      /weight shard 'group1-shard1of2.bin' is 3 bytes longer than its share \(262144 bytes\)/);
    // The last shard 3 bytes long: the extra bytes are named there.
    await expectLoadError(e, () => loadLayersModel(e, sharded(m, [head, join(tail, junk)])),
      new RegExp(`weight shard 'group1-shard2of2.bin' is 3 bytes longer than the manifest's weights need: expected ${total} bytes in the group \\(the 2 shards .*\\), got ${total + 3}`));
    // A middle shard of three that is short: named, with the bytes it lacks.
    const third = 131072;
    await expectLoadError(e, () => loadLayersModel(e, sharded(m, [m.weights.subarray(0, third), m.weights.subarray(third, 2 * third - 5), m.weights.subarray(2 * third)])),
      /weight shard 'group1-shard2of3.bin' is 5 bytes shorter than its share \(131072 bytes\)/);
    // One shard longer than the manifest declares, as dropped files and as an in-memory buffer.
    await expectLoadError(e, () => loadLayersModel(e, [new File([JSON.stringify(m.json)], 'model.json'), new File([join(m.weights, junk) as BlobPart], 'weights.bin')]),
      new RegExp(`weight shard 'weights.bin' is 3 bytes longer than the manifest's weights need: expected ${total} bytes in the group, got ${total + 3}`));
    await expectLoadError(e, () => loadLayersModel(e, { modelJson: m.json, weights: join(m.weights, junk).buffer as ArrayBuffer }),
      new RegExp(`the weights buffer is 3 bytes longer than the manifest's weights need \\(${total} bytes\\)`));

    // The same bytes cut where TF.js cuts them load, and give the single-shard model's weights.
    const one = await loadLayersModel(e, [new File([JSON.stringify(m.json)], 'model.json'), new File([m.weights as BlobPart], 'weights.bin')]);
    const two = await loadLayersModel(e, sharded(m, [head, tail]));
    const last = (x: typeof one) => x.namedWeights()[x.namedWeights().length - 2]!.tensor.read();
    expect(Array.from(await last(two))).to.deep.equal(Array.from(await last(one)));
    one.dispose();
    two.dispose();
  });

  gpuIt("names every JavaScript object inherits ('constructor', 'toString', ...) are unknown names, not code", async (e) => {
    const m = await mnist();
    const onnx = (op: string) =>
      encodeModel({
        irVersion: 8, opsetVersion: 13, producerName: 'test', producerVersion: '1',
        graph: { name: 'g', nodes: [{ name: 'n', opType: op, inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [{ name: 'x', shape: [1, 4] }], outputs: [{ name: 'y', shape: [1, 4] }] },
      });
    for (const name of INHERITED) {
      const quoted = JSON.stringify(name).replace(/[_$]/g, '\\$&');
      const activation = structuredClone(m.json);
      activation.modelTopology.config.layers[5].config.activation = name;
      await expectLoadError(e, () => loadLayersModel(e, { modelJson: activation, weights: m.weights.slice().buffer as ArrayBuffer }), new RegExp(`Dense 'dense1'.*activation ${quoted} is not supported`));
      const layerClass = structuredClone(m.json);
      layerClass.modelTopology.config.layers[1].class_name = name;
      await expectLoadError(e, () => loadLayersModel(e, { modelJson: layerClass, weights: m.weights.slice().buffer as ArrayBuffer }), new RegExp(`layer 'pool1' has the unsupported class ${quoted}`));
      await expectLoadError(e, () => loadOnnxModel(e, onnx(name)), new RegExp(`the operator ${name} is not supported`));
      expect(() => parseActivation(name, 'Dense')).to.throw(CnnError, new RegExp(`activation ${quoted} is not supported`));
      expect(() => parseInitializer(name, { op: 'Dense', key: 'kernel_initializer' })).to.throw(CnnError, new RegExp(`kernel_initializer: the initializer '${name}' is not supported`));
      expect(() => parseInitializer({ class_name: name, config: {} }, { op: 'Dense', key: 'kernel_initializer' })).to.throw(CnnError, new RegExp(`kernel_initializer: the initializer '${name}' is not supported`));
      expect(() => createLayer(e, name, { name: 'x' })).to.throw(CnnError, new RegExp(`unsupported class ${quoted}`));
    }
  });

  gpuIt('nesting deep enough to overflow a recursive walk fails with a clear error (Keras 3 node args, JSON, ONNX subgraphs)', async (e) => {
    const depth = 100_000;
    const functional = (args: string): string =>
      `{"modelTopology": {"class_name": "Functional", "config": {"name": "m", "layers": [` +
      `{"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [null, 4]}, "inbound_nodes": []},` +
      `{"class_name": "Activation", "name": "a", "config": {"name": "a", "activation": "relu"}, "inbound_nodes": [{"args": ${args}, "kwargs": {}}]}],` +
      `"input_layers": [["in", 0, 0]], "output_layers": [["a", 0, 0]]}}, "weightsManifest": []}`;
    const deepText = functional(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    await expectLoadError(e, () => loadLayersModel(e, [new File([deepText], 'model.json')]), /the file model.json nests more than \d+ levels deep \(at modelTopology\.config\.layers\[1\]\.inbound_nodes\[0\]\.args/);
    // Already parsed (as ModelArtifacts), the same walk applies.
    await expectLoadError(e, () => loadLayersModel(e, { modelJson: JSON.parse(deepText) as object, weights: new ArrayBuffer(0) }), /modelJson nests more than \d+ levels deep/);
    // A Keras 3 node of normal depth still loads.
    const ok = await loadLayersModel(e, [new File([functional('[{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}]')], 'model.json')]);
    expect(ok.layers.length).to.equal(2);
    ok.dispose();

    await expectLoadError(e, () => loadOnnxModel(e, nestedOnnx(depth)), /is refused: graphs nested more than \d+ deep/);
  });

  gpuIt(`loading grows linearly with the layer count, and more than ${MAX_LAYERS} layers are refused`, async (e) => {
    const time = async (n: number) => {
      const json = deepSequential(n);
      const t0 = performance.now();
      const model = await loadLayersModel(e, { modelJson: json, weights: new ArrayBuffer(0) });
      const ms = performance.now() - t0;
      expect(model.layers.length).to.equal(n + 1);
      model.dispose();
      return ms;
    };
    await time(500); // warm up
    // Interleaved, best of three: the machine may be busy with other work in between.
    let small = Infinity;
    let large = Infinity;
    for (let i = 0; i < 3; i++) {
      small = Math.min(small, await time(1000));
      large = Math.min(large, await time(8000));
    }
    // Eight times the layers: linear is ~8x; the quadratic sort this replaces was ~60x (0.85 s for 8000).
    expect(large, `8000 layers took ${large.toFixed(0)} ms, 1000 took ${small.toFixed(0)} ms`).to.be.below(24 * Math.max(small, 30));
    const t0 = performance.now();
    await expectLoadError(e, () => loadLayersModel(e, { modelJson: deepSequential(MAX_LAYERS + 1), weights: new ArrayBuffer(0) }),
      new RegExp(`the model has ${MAX_LAYERS + 1} layers besides its input; at most ${MAX_LAYERS} can be loaded`));
    expect(performance.now() - t0, 'refusing 10,001 layers').to.be.below(1000);
  });

  gpuIt('a model.json behind a blob: URL loads with its shards given alongside, and says what to do without them', async (e) => {
    const m = await mnist();
    const url = URL.createObjectURL(new Blob([JSON.stringify(m.json)], { type: 'application/json' }));
    try {
      await expectLoadError(e, () => loadLayersModel(e, url),
        /model.json at blob:.* refers to weight shard 'weights.bin', which a blob: URL has no folder to find; pass that file in the `files` option/);
      const shards = [new File([m.weights as BlobPart], 'weights.bin')];
      const model = await loadLayersModel(e, url, { files: shards });
      expect([...model.inputShape]).to.deep.equal([28, 28, 1]);
      model.dispose();
      const any = await loadModel(e, url, { files: shards });
      expect(any.namedWeights().length).to.equal(8);
      any.dispose();
    } finally {
      URL.revokeObjectURL(url);
    }
  });
});

/**
 * An ONNX model whose graph's one node has a graph attribute whose node has a graph attribute ...
 * `depth` times, written from the inside out (protobuf lengths precede their messages).
 */
function nestedOnnx(depth: number): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
    out.push(n);
    return out;
  };
  const bytesLen = (n: number) => varint(n).length;
  // Lengths from the innermost (an empty graph) outwards.
  const graphLen: number[] = [0];
  for (let i = 1; i <= depth; i++) {
    const attr = 3 + 1 + bytesLen(graphLen[i - 1]!) + graphLen[i - 1]!; // name "g", field 6 graph
    const node = 4 + 1 + bytesLen(attr) + attr; // op_type "If", field 5 attribute
    graphLen.push(1 + bytesLen(node) + node); // field 1 node
  }
  const out: number[] = [0x08, 0x08, 0x3a, ...varint(graphLen[depth]!)];
  for (let i = depth; i >= 1; i--) {
    const inner = graphLen[i - 1]!;
    const attr = 3 + 1 + bytesLen(inner) + inner;
    const node = 4 + 1 + bytesLen(attr) + attr;
    out.push(0x0a, ...varint(node), 0x22, 2, 0x49, 0x66, 0x2a, ...varint(attr), 0x0a, 1, 0x67, 0x32, ...varint(inner));
  }
  out.push(0x42, 2, 0x10, 13); // opset_import: the default domain at 13
  return new Uint8Array(out);
}

