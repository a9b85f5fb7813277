/**
 * The `modelTopology` of a TF.js layers model.json: read into a graph of layers (Sequential, or a
 * functional Model with inbound nodes, as TF.js and Keras 2 write them; Keras 3's node form too),
 * and written back from a model in the form `tf.loadLayersModel` reads.
 */
import { CnnError } from '../../errors.js';
import type { Model } from '../../nn/model.js';
import type { Layer, LayerConfig } from '../../nn/layer.js';
import { checkLayerCount, type LayerEntry, type LayerGraph } from '../../nn/model_import.js';

const OP = 'loadLayersModel';
function fail(message: string): never {
  throw new CnnError(OP, message);
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `modelTopology` (or Keras's `{model_config}` wrapper around it). */
export function parseTopology(modelTopology: unknown): LayerGraph {
  if (!isObject(modelTopology)) fail(`model.json has no modelTopology object (got ${JSON.stringify(modelTopology)?.slice(0, 60)}); is this a TF.js layers model?`);
  const top = isObject(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  const className = top.class_name;
  if (className === 'Sequential') return parseSequential(top.config);
  if (className === 'Model' || className === 'Functional') return parseFunctional(top.config);
  if (isObject(top.node) || Array.isArray(top.node)) fail('modelTopology is a TensorFlow graph (a graph model), not a layers model; only the TF.js layers format can be loaded');
  return fail(`modelTopology has class_name ${JSON.stringify(className)}; only Sequential and functional (Model/Functional) layers models can be loaded`);
}

function layerEntry(raw: unknown, where: string): { className: string; config: LayerConfig; name: string } {
  if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) fail(`${where} must be {class_name, config}, got ${JSON.stringify(raw)?.slice(0, 80)}`);
  const r = raw as { class_name: string; config: LayerConfig; name?: unknown };
  const name = typeof r.name === 'string' ? r.name : r.config.name;
  if (typeof name !== 'string' || name === '') fail(`${where} (class ${r.class_name}) has no name`);
  return { className: r.class_name, config: { ...r.config, name }, name: name as string };
}

/** A raw layer's class_name, for counting before each is read. */
const classOf = (raw: unknown): unknown => (isObject(raw) ? raw.class_name : undefined);

function parseSequential(config: unknown): LayerGraph {
  // Keras before 2.2.3 wrote a Sequential config as the bare list of layers.
  const layersRaw = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) fail('the Sequential model has no layers');
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  checkLayerCount(OP, layersRaw.map(classOf));
  const entries = (layersRaw as unknown[]).map((l, i) => layerEntry(l, `layer ${i + 1} of the Sequential model`));
  const layers: LayerEntry[] = [];
  if (entries[0]!.className !== 'InputLayer') {
    const first = entries[0]!.config;
    const shape = first.batch_input_shape ?? first.batch_shape ?? (Array.isArray(first.input_shape) ? [null, ...first.input_shape] : undefined);
    if (!Array.isArray(shape)) fail(`the first layer '${entries[0]!.name}' of the Sequential model declares no input shape (batch_input_shape)`);
    layers.push({ className: 'InputLayer', config: { name: `${entries[0]!.name}_input`, batch_input_shape: shape }, inbound: [] });
  }
  for (const e of entries) {
    const prev = layers[layers.length - 1];
    layers.push({ className: e.className, config: e.config, inbound: prev ? [prev.config.name as string] : [] });
  }
  return { name, topology: 'sequential', layers, output: layers[layers.length - 1]!.config.name as string };
}

function parseFunctional(config: unknown): LayerGraph {
  if (!isObject(config) || !Array.isArray(config.layers)) fail('the functional model has no layers list');
  const c = config as { name?: unknown; layers: unknown[]; input_layers?: unknown; output_layers?: unknown };
  const name = typeof c.name === 'string' ? c.name : 'model';
  checkLayerCount(OP, c.layers.map(classOf));
  const layers = c.layers.map((raw, i) => {
    const e = layerEntry(raw, `layer ${i + 1} of model '${name}'`);
    return { className: e.className, config: e.config, inbound: inboundOf(e.name, (raw as Record<string, unknown>).inbound_nodes) };
  });
  const inputs = endpoints(c.input_layers, 'input_layers');
  const outputs = endpoints(c.output_layers, 'output_layers');
  if (inputs.length !== 1) fail(`model '${name}' has ${inputs.length} inputs (${inputs.join(', ')}); only models with one input are supported`);
  if (outputs.length !== 1) fail(`model '${name}' has ${outputs.length} outputs (${outputs.join(', ')}); only models with one output are supported`);
  const input = layers.find((l) => l.config.name === inputs[0]);
  if (!input || input.className !== 'InputLayer') fail(`model '${name}': its input '${inputs[0]}' is not an InputLayer of the model`);
  return { name, topology: 'functional', layers, output: outputs[0]! };
}

/** The names of the layers feeding `layer`, from its single inbound node. */
function inboundOf(layer: string, nodes: unknown): string[] {
  if (nodes === undefined || nodes === null) return [];
  if (!Array.isArray(nodes)) fail(`layer '${layer}': inbound_nodes must be a list, got ${JSON.stringify(nodes)?.slice(0, 60)}`);
  if (nodes.length === 0) return [];
  if (nodes.length > 1) fail(`layer '${layer}' is applied ${nodes.length} times (a shared layer); shared layers are not supported`);
  const node = nodes[0];
  // Keras 2 / TF.js: [[name, nodeIndex, tensorIndex, kwargs], ...]. Keras 3: {args: [...], kwargs}.
  const refs: unknown[] = isObject(node) ? kerasTensors(node.args) : Array.isArray(node) ? node : [];
  if (refs.length === 0) fail(`layer '${layer}' has an inbound node with no inputs: ${JSON.stringify(node)?.slice(0, 80)}`);
  return refs.map((r) => {
    if (!Array.isArray(r) || typeof r[0] !== 'string') fail(`layer '${layer}' has an unreadable inbound entry ${JSON.stringify(r)?.slice(0, 60)}`);
    const [src, nodeIndex = 0, tensorIndex = 0] = r as [string, number?, number?];
    if (nodeIndex !== 0 || tensorIndex !== 0) fail(`layer '${layer}' takes output ${tensorIndex} of node ${nodeIndex} of '${src}'; only single-use, single-output layers are supported`);
    return src;
  });
}

/** Keras 3 node args: a keras tensor `{class_name: '__keras_tensor__', config: {keras_history}}` or a list of them. */
function kerasTensors(args: unknown): unknown[] {
  const out: unknown[] = [];
  // A stack rather than recursion: lists nested deep enough would overflow the call stack.
  const stack = [args];
  while (stack.length > 0) {
    const a = stack.pop();
    if (Array.isArray(a)) for (let i = a.length - 1; i >= 0; i--) stack.push(a[i]);
    else if (isObject(a) && a.class_name === '__keras_tensor__' && isObject(a.config)) out.push(a.config.keras_history);
  }
  return out;
}

/** input_layers / output_layers: [[name, 0, 0], ...] (Keras 3 may write a single [name, 0, 0]). */
function endpoints(v: unknown, key: string): string[] {
  if (!Array.isArray(v)) return fail(`the functional model has no ${key}`);
  const list = typeof v[0] === 'string' ? [v] : v;
  return list.map((e) => {
    if (!Array.isArray(e) || typeof e[0] !== 'string') fail(`${key} has an unreadable entry ${JSON.stringify(e)}`);
    return e[0] as string;
  });
}

const KERAS_VERSION = 'cnn-webgpu';

/** The model's topology as TF.js writes it (Sequential, or a functional Model with inbound nodes). */
export function serializeTopology(model: Model): Record<string, unknown> {
  const config = (l: Layer): LayerConfig => JSON.parse(JSON.stringify({ ...l.config, name: l.name })) as LayerConfig;
  if (model.topology === 'sequential' && isChain(model)) {
    const layers = model.layers.filter((l) => l.name !== model.inputName).map((l, i) => {
      const c = config(l);
      if (i === 0) Object.assign(c, { batch_input_shape: [null, ...model.inputShape], dtype: 'float32' });
      return { class_name: l.className, config: c };
    });
    return { class_name: 'Sequential', config: { name: model.name, layers }, keras_version: KERAS_VERSION, backend: 'tensor_flow.js' };
  }
  const layers = model.layers.map((l) => {
    const srcs = model.inboundOf(l.name);
    return { name: l.name, class_name: l.className, config: config(l), inbound_nodes: srcs.length ? [srcs.map((s) => [s, 0, 0, {}])] : [] };
  });
  return {
    class_name: 'Model',
    config: { name: model.name, layers, input_layers: [[model.inputName, 0, 0]], output_layers: [[model.outputName, 0, 0]] },
    keras_version: KERAS_VERSION,
    backend: 'tensor_flow.js',
  };
}

/** True when each layer takes exactly the previous one's output and the last is the output. */
function isChain(model: Model): boolean {
  return model.layers.every((l, i) => (i === 0 ? true : model.inboundOf(l.name).length === 1 && model.inboundOf(l.name)[0] === model.layers[i - 1]!.name)) &&
    model.layers[model.layers.length - 1]!.name === model.outputName;
}
