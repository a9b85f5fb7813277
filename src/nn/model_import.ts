/**
 * What every model format shares once its files are read: an importer describes the model as layer
 * entries (Keras class names and configs, wired by name) and the named weights its files hold; the
 * code here builds the Model from the entries, matches the file's weights to the weights the layers
 * need, and uploads them. A format is then only a reader (and, if it saves, a writer) in src/io.
 *
 * The order makes a bad file cheap: the layers are built and every weight is matched by name and
 * shape before the importer reads a byte of weight data, and nothing reaches the GPU until every
 * value is decoded, so a failed import leaves nothing allocated.
 */
import type { Engine } from '../engine.js';
import { asCnnError, CnnError, shapeStr, throwIfAborted } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Model, type ModelNode } from './model.js';
import { createLayer } from './layers/registry.js';
import type { LayerConfig, WeightSpec } from './layer.js';

/**
 * The most layers (besides the input) a file may describe. The largest Keras application models
 * have under a thousand; a file with more is refused before a layer is made rather than left to
 * block the page.
 */
export const MAX_LAYERS = 10_000;

/** Throws a CnnError of `op` when `classNames` counts more than MAX_LAYERS layers besides input layers. */
export function checkLayerCount(op: string, classNames: readonly unknown[]): void {
  const count = classNames.filter((c) => c !== 'InputLayer').length;
  if (count > MAX_LAYERS) throw new CnnError(op, `the model has ${count} layers besides its input; at most ${MAX_LAYERS} can be loaded`);
}

/** One layer of an imported model: its Keras class, its config (with `name`), and the layers it takes its inputs from. */
export interface LayerEntry {
  className: string;
  config: LayerConfig;
  inbound: string[];
}

/** An imported model's layers, in file order; the first InputLayer is the model's input. */
export interface LayerGraph {
  name: string;
  /** How the model is written back: a chain, or a graph with inbound nodes. */
  topology: 'sequential' | 'functional';
  layers: LayerEntry[];
  /** The layer whose output is the model's output. */
  output: string;
}

/** A weight as a file holds it, before its bytes are read. */
export interface WeightEntry {
  /** The name the file gives it; matched against the layers' "<layer>/<weight>" names. */
  name: string;
  shape: readonly number[];
  /** Other names it may stand for (a format's older naming schemes), tried in order after `name`. */
  aliases?: readonly string[];
  /** The file it is stored in, for errors. */
  file?: string;
}

/** What an importer gives the builder. */
export interface ModelImport {
  graph: LayerGraph;
  /** Every weight the files hold (names and shapes only). */
  weights: readonly WeightEntry[];
  /** How errors name where the weights are listed: "the weights manifest", "the ONNX file model.onnx". */
  weightsSource: string;
  /**
   * Reads and decodes the weights' values as float32, keyed by WeightEntry name. Called once, after
   * every weight has matched; `needed` lists the entries the model uses.
   */
  readWeights(needed: readonly WeightEntry[]): Promise<ReadonlyMap<string, Float32Array>>;
}

export interface ImportOptions {
  /** Names the operation in errors, e.g. 'loadLayersModel'. */
  op: string;
  /** Checked before the weights are read and again before they are uploaded. */
  signal?: AbortSignal;
}

/**
 * Builds the model an importer describes and fills its weights. Any failure (a bad layer config, a
 * missing, unknown or mis-shaped weight, a read or an upload that fails, an abort) rejects with a
 * CnnError and leaves no GPU memory allocated.
 * @example
 * const model = await importModel(engine, { graph, weights, weightsSource: 'the weights manifest', readWeights }, { op: 'loadMyFormat' });
 */
export async function importModel(engine: Engine, imp: ModelImport, opts: ImportOptions): Promise<Model> {
  const { op, signal } = opts;
  let model: Model | null = null;
  checkLayerCount(op, imp.graph.layers.map((l) => l.className));
  try {
    model = buildModel(engine, imp.graph);
    const targets = matchWeights(model, imp.weights, imp.weightsSource, op);
    throwIfAborted(op, signal);
    const values = await imp.readWeights([...new Set(targets.values())]);
    throwIfAborted(op, signal);
    uploadWeights(engine, model, targets, values, op);
    return model;
  } catch (e) {
    model?.dispose();
    throw asCnnError(op, e);
  }
}

/** Creates the (unbuilt) layers and wires them into a Model, which checks every shape; allocates no GPU memory. */
export function buildModel(engine: Engine, graph: LayerGraph): Model {
  const nodes: ModelNode[] = graph.layers.map((l) => ({ layer: createLayer(engine, l.className, l.config), inbound: l.inbound }));
  return new Model(engine, { name: graph.name, topology: graph.topology, nodes, output: graph.output });
}

/**
 * The entry for every weight the model's layers need, keyed by the layer weight's name. An entry
 * matches by its name, one of its aliases, or "<layer>/<index>" (the index-th weight of that layer,
 * as Keras 3 names them). Fails naming the weight (and its file) on a weight the model lacks, one
 * given twice, one of the wrong shape, or one the model needs that the files lack.
 */
export function matchWeights(model: Model, entries: readonly WeightEntry[], weightsSource: string, op: string): Map<string, WeightEntry> {
  const specs = new Map<string, { spec: WeightSpec; layer: string }>();
  const byIndex = new Map<string, string>();
  for (const layer of model.layers) {
    layer.weightSpecs().forEach((spec, index) => {
      specs.set(spec.name, { spec, layer: layer.label });
      byIndex.set(`${layer.name}/${index}`, spec.name);
    });
  }
  const inFile = (e: WeightEntry) => (e.file ? ` (in ${e.file})` : '');
  const found = new Map<string, WeightEntry>();
  for (const entry of entries) {
    const names = [entry.name, ...(entry.aliases ?? [])];
    const target = names.find((n) => specs.has(n)) ?? names.map((n) => byIndex.get(n)).find((n) => n !== undefined);
    if (target === undefined) {
      throw new CnnError(op, `${weightsSource} has weight '${entry.name}'${inFile(entry)}, which matches no weight of the model (it expects ${[...specs.keys()].join(', ') || 'none'})`);
    }
    const other = found.get(target);
    if (other) throw new CnnError(op, `${weightsSource} gives weight '${target}' twice ('${other.name}'${inFile(other)} and '${entry.name}'${inFile(entry)})`);
    const { spec, layer } = specs.get(target)!;
    if (entry.shape.length !== spec.shape.length || entry.shape.some((d, i) => d !== spec.shape[i])) {
      throw new CnnError(op, `weight '${entry.name}'${inFile(entry)} has shape ${shapeStr(entry.shape)} in ${weightsSource}, but ${layer} expects ${shapeStr(spec.shape)}`);
    }
    found.set(target, entry);
  }
  for (const [name, { layer }] of specs) {
    if (!found.has(name)) throw new CnnError(op, `weight '${name}' of ${layer} is missing from ${weightsSource}`);
  }
  return found;
}

/** Uploads each layer's values; on any failure frees what was uploaded and rethrows. */
function uploadWeights(engine: Engine, model: Model, targets: Map<string, WeightEntry>, values: ReadonlyMap<string, Float32Array>, op: string): void {
  const created: Tensor[] = [];
  try {
    for (const layer of model.layers) {
      const specs = layer.weightSpecs();
      if (specs.length === 0) continue;
      const tensors = specs.map((s) => {
        const entry = targets.get(s.name)!;
        const v = values.get(entry.name);
        const want = s.shape.reduce((a, b) => a * b, 1);
        const file = entry.file ? ` (in ${entry.file})` : '';
        if (!v) throw new CnnError(op, `the values of weight '${entry.name}'${file} were not read`);
        if (v.length !== want) throw new CnnError(op, `weight '${entry.name}'${file} has ${v.length} values, but ${layer.label} expects ${want} for ${shapeStr(s.shape)}`);
        const t = engine.tensor(v, s.shape);
        created.push(t);
        return t;
      });
      layer.setWeights(tensors);
    }
  } catch (e) {
    // Tensors a layer already took are freed by model.dispose() too; disposing twice is harmless.
    for (const t of created) t.dispose();
    throw e;
  }
}
