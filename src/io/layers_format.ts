/**
 * Loading and saving the TensorFlow.js layers format: a model.json (`modelTopology` plus a
 * `weightsManifest`) and binary weight shards, as Keras users export with the TF.js converter and
 * as `model.save()` writes in TF.js.
 *
 * A load checks everything it can before fetching a shard (topology, layer configs, every shape,
 * the manifest against the layers' weights, sizes), decodes on the CPU, and only then uploads, so
 * a bad file fails with an error that names the layer, weight or file, and leaves nothing allocated.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import type { Model } from '../nn/model.js';
import type { WeightSpec } from '../nn/layer.js';
import { buildModel, parseTopology, serializeTopology, type Topology } from './topology.js';
import { checkManifest, decodeGroup, storedBytes, type ManifestEntry, type ManifestGroup } from './weights.js';

/** A model.json already parsed, with its shards: one buffer (all groups back to back) or one per path. */
export interface ModelArtifacts {
  modelJson: object | string;
  weights: ArrayBuffer | Map<string, ArrayBuffer>;
}

/** Files a user dropped or picked: a model.json and its .bin shards. */
export type ModelFiles = FileList | readonly File[];

export type ModelSource = string | URL | ModelArtifacts | ModelFiles;

export interface LoadOptions {
  /** Fractions in [0, 1] as the shards arrive; 1 once the model is ready. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

const OP = 'loadLayersModel';
function fail(message: string): never {
  throw new CnnError(OP, message);
}

/** Reads the shard of each path (the order of `paths`), reporting bytes as they arrive. */
type ShardReader = (path: string, progress: (bytes: number) => void) => Promise<ArrayBuffer>;

/**
 * Loads a TF.js layers model onto the engine.
 * @example
 * const model = await loadLayersModel(engine, 'models/mnist/model.json', { onProgress: (f) => bar.value = f });
 * const probs = model.predict(engine.tensor(pixels, [1, 28, 28, 1]));
 */
export async function loadLayersModel(engine: Engine, source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const { signal } = opts;
  signal?.throwIfAborted();
  // Fetches follow the caller's signal, and are also cancelled when one shard fails.
  const fetching = new AbortController();
  const follow = () => fetching.abort(signal!.reason);
  signal?.addEventListener('abort', follow, { once: true });
  try {
    return await load(engine, source, opts, fetching);
  } finally {
    signal?.removeEventListener('abort', follow);
    fetching.abort();
  }
}

async function load(engine: Engine, source: ModelSource, opts: LoadOptions, fetching: AbortController): Promise<Model> {
  const { signal } = opts;
  const { json, readShard } = await open(source, fetching.signal);
  signal?.throwIfAborted();
  const manifestRaw = json.weightsManifest ?? (Array.isArray(json.weightSpecs) ? [{ paths: ['weights.bin'], weights: json.weightSpecs }] : undefined);
  if (manifestRaw === undefined) fail('model.json has no weightsManifest');
  const topology = parseTopology(json.modelTopology);
  const manifest = checkManifest(manifestRaw);
  fillDepthMultipliers(topology, manifest);
  const model = buildModel(engine, topology);
  const targets = matchWeights(model, manifest);

  const total = manifest.reduce((s, g) => s + g.weights.reduce((t, e) => t + storedBytes(e), 0), 0);
  let loaded = 0;
  const report = (bytes: number) => {
    loaded += bytes;
    if (total > 0) opts.onProgress?.(Math.min(loaded / total, 1) * 0.99);
  };
  opts.onProgress?.(0);
  const values = new Map<string, Float32Array>();
  const groups = await Promise.all(manifest.map(async (g) => ({ g, shards: await Promise.all(g.paths.map((p) => readShard(p, report))) })));
  signal?.throwIfAborted();
  for (const { g, shards } of groups) for (const [name, v] of decodeGroup(g, shards)) values.set(name, v);

  const created: Tensor[] = [];
  try {
    for (const layer of model.layers) {
      const specs = layer.weightSpecs();
      if (specs.length === 0) continue;
      const tensors = specs.map((s) => {
        const t = engine.tensor(values.get(targets.get(s.name)!.name)!, s.shape);
        created.push(t);
        return t;
      });
      layer.setWeights(tensors);
    }
  } catch (e) {
    for (const t of created) t.dispose();
    model.dispose();
    throw e;
  }
  opts.onProgress?.(1);
  return model;
}

/**
 * TF.js's SeparableConv2D leaves depth_multiplier out of the config it saves (its getConfig drops
 * it), so a TF.js-saved model with a multiplier above 1 reads as 1; the depthwise kernel's last dim
 * in the manifest is the multiplier.
 */
function fillDepthMultipliers(topology: Topology, manifest: ManifestGroup[]): void {
  const entries = new Map(manifest.flatMap((g) => g.weights).map((e) => [e.name, e]));
  for (const l of topology.layers) {
    if (l.className !== 'SeparableConv2D' || l.config.depth_multiplier !== undefined) continue;
    const kernel = entries.get(`${String(l.config.name)}/depthwise_kernel`);
    if (kernel?.shape.length === 4) l.config.depth_multiplier = kernel.shape[3];
  }
}

/**
 * The manifest entry for every weight the layers need, matched by Keras name ("conv1/kernel"); also
 * accepted: TF 2.2's names with a cell scope ("layer/cell/kernel") and Keras 3's by index
 * ("conv1/0"). Fails on a missing, unknown or mis-shaped weight before any shard is fetched.
 */
function matchWeights(model: Model, manifest: ManifestGroup[]): Map<string, ManifestEntry> {
  const specs = new Map<string, { spec: WeightSpec; layer: string; index: number }>();
  for (const layer of model.layers) layer.weightSpecs().forEach((spec, index) => specs.set(spec.name, { spec, layer: layer.label, index }));
  const byIndex = new Map<string, string>();
  for (const [name, s] of specs) byIndex.set(`${name.slice(0, name.lastIndexOf('/'))}/${s.index}`, name);
  const found = new Map<string, ManifestEntry>();
  for (const entry of manifest.flatMap((g) => g.weights)) {
    if (entry.group === 'optimizer') continue;
    const parts = entry.name.split('/');
    const candidates = [entry.name, [...parts.slice(0, -2), parts[parts.length - 1]].join('/'), byIndex.get(entry.name)];
    const target = candidates.find((c): c is string => c !== undefined && specs.has(c));
    if (!target) {
      fail(`the weights manifest has weight '${entry.name}', which matches no weight of the model (it expects ${[...specs.keys()].join(', ') || 'none'})`);
    }
    if (found.has(target)) fail(`the weights manifest gives weight '${target}' twice`);
    const { spec, layer } = specs.get(target)!;
    if (entry.shape.length !== spec.shape.length || entry.shape.some((d, i) => d !== spec.shape[i])) {
      fail(`weight '${entry.name}' has shape ${shapeStr(entry.shape)} in the manifest, but ${layer} expects ${shapeStr(spec.shape)}`);
    }
    found.set(target, entry);
  }
  for (const [name, { layer }] of specs) {
    if (!found.has(name)) fail(`weight '${name}' of ${layer} is missing from the weights manifest`);
  }
  return found;
}

interface Opened {
  json: Record<string, unknown>;
  readShard: ShardReader;
}

async function open(source: ModelSource, signal?: AbortSignal): Promise<Opened> {
  if (typeof source === 'string' || source instanceof URL) return openUrl(source, signal);
  if (isFileList(source)) return openFiles(source);
  if (source && typeof source === 'object' && 'modelJson' in source) return openArtifacts(source);
  return fail('the source must be a model.json URL, {modelJson, weights}, or the dropped model.json and .bin files');
}

function isFileList(s: unknown): s is ModelFiles {
  if (typeof FileList !== 'undefined' && s instanceof FileList) return true;
  return Array.isArray(s) && s.every((f) => typeof Blob !== 'undefined' && f instanceof Blob && typeof (f as File).name === 'string');
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`${what} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(`${what} must hold a JSON object`);
  return json as Record<string, unknown>;
}

async function openUrl(source: string | URL, signal?: AbortSignal): Promise<Opened> {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  const url = new URL(source, base);
  const res = await fetchOk(url, 'model.json', signal);
  const json = parseJson(await res.text(), `model.json at ${url.href}`);
  return {
    json,
    readShard: async (path, progress) => {
      const shardUrl = new URL(path, url);
      const r = await fetchOk(shardUrl, `weight shard '${path}'`, signal);
      return readBody(r, progress);
    },
  };
}

async function fetchOk(url: URL, what: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    return fail(`${what} could not be fetched from ${url.href} (${(e as Error).message})`);
  }
  if (!res.ok) fail(`${what} could not be fetched from ${url.href} (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''})`);
  return res;
}

/** The body as one buffer, reporting each chunk's bytes. */
async function readBody(res: Response, progress: (bytes: number) => void): Promise<ArrayBuffer> {
  if (!res.body) {
    const buf = await res.arrayBuffer();
    progress(buf.byteLength);
    return buf;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
    progress(value.byteLength);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

async function openFiles(list: ModelFiles): Promise<Opened> {
  const files = Array.from(list as ArrayLike<File>);
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const modelFile = jsons.length === 1 ? jsons[0] : jsons.find((f) => f.name === 'model.json');
  if (!modelFile) {
    fail(jsons.length === 0 ? `no model.json among the ${files.length} files given (${names(files)})` : `several .json files were given (${names(jsons)}) and none is named model.json`);
  }
  const json = parseJson(await modelFile!.text(), `the file ${modelFile!.name}`);
  return {
    json,
    readShard: async (path, progress) => {
      const base = path.slice(path.lastIndexOf('/') + 1);
      const file = files.find((f) => f.name === base);
      if (!file) fail(`weight shard '${base}' is missing: it was not among the files given (${names(files)})`);
      const buf = await file!.arrayBuffer();
      progress(buf.byteLength);
      return buf;
    },
  };
}

function names(files: readonly File[]): string {
  return files.map((f) => f.name).join(', ') || 'none';
}

function openArtifacts(a: ModelArtifacts): Opened {
  const json = typeof a.modelJson === 'string' ? parseJson(a.modelJson, 'modelJson') : (a.modelJson as Record<string, unknown>);
  if (typeof json !== 'object' || json === null) fail('modelJson must be the parsed model.json object');
  const weights = a.weights;
  if (weights instanceof ArrayBuffer) {
    // One buffer holds every group back to back (as TF.js's weightData): hand each path its share.
    const manifest = checkManifest(json.weightsManifest ?? (Array.isArray(json.weightSpecs) ? [{ paths: ['weights.bin'], weights: json.weightSpecs }] : []));
    const slices = new Map<string, ArrayBuffer>();
    let at = 0;
    for (const g of manifest) {
      const bytes = g.weights.reduce((s, e) => s + storedBytes(e), 0);
      const end = Math.min(at + bytes, weights.byteLength);
      g.paths.forEach((p, i) => slices.set(p, i === 0 ? weights.slice(at, end) : new ArrayBuffer(0)));
      at = end;
    }
    return { json, readShard: async (path, progress) => take(slices, path, progress) };
  }
  if (!(weights instanceof Map)) fail('weights must be an ArrayBuffer or a Map from shard path to ArrayBuffer');
  return { json, readShard: async (path, progress) => take(weights as Map<string, ArrayBuffer>, path, progress) };
}

function take(shards: Map<string, ArrayBuffer>, path: string, progress: (bytes: number) => void): ArrayBuffer {
  const buf = shards.get(path) ?? shards.get(path.slice(path.lastIndexOf('/') + 1));
  if (!buf) return fail(`weight shard '${path}' is missing (given: ${[...shards.keys()].join(', ') || 'none'})`);
  progress(buf.byteLength);
  return buf;
}

/**
 * The model as TF.js layers files: model.json (as an object) and the one shard it names,
 * 'weights.bin', holding every weight as float32. `tf.loadLayersModel` reads them.
 * @example
 * const { modelJson, weightData } = await saveLayersModel(model);
 * download(new Blob([JSON.stringify(modelJson)]), 'model.json');
 * download(new Blob([weightData]), 'weights.bin');
 */
/** A model in the TF.js layers format, ready to write as model.json and weights.bin. */
export interface SavedModel {
  modelJson: Record<string, unknown>;
  weightData: ArrayBuffer;
}

export async function saveLayersModel(model: Model): Promise<SavedModel> {
  const weights = model.namedWeights();
  const values = await Promise.all(weights.map((w) => w.tensor.read()));
  const total = values.reduce((s, v) => s + v.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const v of values) {
    data.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
    at += v.byteLength;
  }
  const modelJson = {
    modelTopology: serializeTopology(model),
    format: 'layers-model',
    generatedBy: 'cnn-webgpu',
    convertedBy: null,
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: [...w.tensor.shape], dtype: 'float32' })) }],
  };
  return { modelJson, weightData: data.buffer };
}
