/**
 * Reading the TensorFlow.js layers format: a model.json (`modelTopology` plus a `weightsManifest`)
 * and binary weight shards, as Keras users export with the TF.js converter and as TF.js's
 * `model.save()` writes.
 *
 * This file turns the files into the importer contract of src/nn/model_import.ts (layer entries and
 * the manifest's named weights) and decodes the shards when asked; building the model, matching the
 * weights and uploading them is shared with every format. A bad file fails with an error that names
 * the layer, weight or file, and leaves nothing allocated.
 */
import type { Engine } from '../../engine.js';
import { asCnnError, CnnError, throwIfAborted } from '../../errors.js';
import type { Model } from '../../nn/model.js';
import type { LayerGraph, WeightEntry } from '../../nn/model_import.js';
import { importModel } from '../../nn/model_import.js';
import { checkJsonDepth } from '../json_depth.js';
import { isFileList, openSource, type ReadProgress, type Source, type SourceInput } from '../source.js';
import { parseTopology } from './topology.js';
import { checkManifest, decodeGroup, storedBytes, type ManifestGroup } from './weights.js';

/** A model.json already parsed, with its shards: one buffer (all groups back to back) or one per path. */
export interface ModelArtifacts {
  modelJson: object | string;
  weights: ArrayBuffer | Map<string, ArrayBuffer>;
}

/** Files a user dropped or picked: a model.json and its .bin shards. */
export type ModelFiles = FileList | readonly File[];

/**
 * A model.json's URL, the dropped or picked files (model.json and its shards), a model.json as a
 * File, Blob or bytes (for a model with no weights, or with its shards elsewhere), or the files
 * already in memory as ModelArtifacts.
 */
export type ModelSource = SourceInput | ModelArtifacts;

export interface LoadOptions {
  /** Fractions in [0, 1] as the shards arrive; 1 once the model is ready. */
  onProgress?: (fraction: number) => void;
  /** Aborting rejects with a CnnAbortError (name 'AbortError') and leaves nothing allocated. */
  signal?: AbortSignal;
  /**
   * The weight shards, found by file name instead of beside model.json's URL: for a model.json
   * behind a blob: or data: URL, which has no folder to find them in.
   */
  files?: FileList | readonly File[];
}

const OP = 'loadLayersModel';

/** A shard's bytes by its manifest path; `progress` gets the bytes of that shard read so far. */
type ShardReader = (path: string, progress: (loaded: number) => void) => Promise<Uint8Array>;

/**
 * Loads a TF.js layers model onto the engine.
 * @example
 * const model = await loadLayersModel(engine, 'models/mnist/model.json', { onProgress: (f) => bar.value = f });
 * const probs = model.predict(engine.tensor(pixels, [1, 28, 28, 1]));
 */
export async function loadLayersModel(engine: Engine, source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const { signal } = opts;
  throwIfAborted(OP, signal);
  // Reads follow the caller's signal, and are also cancelled when one shard fails.
  const reading = new AbortController();
  const follow = () => reading.abort(signal!.reason);
  signal?.addEventListener('abort', follow, { once: true });
  try {
    return await load(engine, source, opts, reading.signal);
  } catch (e) {
    throwIfAborted(OP, signal);
    throw asCnnError(OP, e);
  } finally {
    signal?.removeEventListener('abort', follow);
    reading.abort();
  }
}

async function load(engine: Engine, source: ModelSource, opts: LoadOptions, signal: AbortSignal): Promise<Model> {
  const { json, readShard } = await open(source, signal, opts.files);
  throwIfAborted(OP, signal);
  const manifestRaw = manifestOf(json);
  const graph = parseTopology(json.modelTopology);
  const manifest = checkManifest(manifestRaw);
  fillDepthMultipliers(graph, manifest);

  // A group that holds nothing the model takes (no weights, or optimizer state only) is not read.
  const used = manifest.filter((g) => g.weights.some((e) => e.group !== 'optimizer'));
  const total = used.reduce((s, g) => s + g.weights.reduce((t, e) => t + storedBytes(e), 0), 0);
  const loaded = new Map<string, number>();
  const report = (path: string, bytes: number) => {
    loaded.set(path, bytes);
    const sum = [...loaded.values()].reduce((a, b) => a + b, 0);
    if (total > 0) opts.onProgress?.(Math.min(sum / total, 1) * 0.99);
  };
  opts.onProgress?.(0);
  const model = await importModel(
    engine,
    {
      graph,
      weights: manifest.flatMap((g) =>
        g.weights.filter((e) => e.group !== 'optimizer').map((e): WeightEntry => ({ name: e.name, shape: e.shape, aliases: cellScopeAlias(e.name), file: g.paths.join(', ') })),
      ),
      weightsSource: 'the weights manifest',
      readWeights: async () => {
        const groups = await Promise.all(used.map(async (g) => ({ g, shards: await Promise.all(g.paths.map((p) => readShard(p, (n) => report(p, n)))) })));
        const values = new Map<string, Float32Array>();
        for (const { g, shards } of groups) for (const [name, v] of decodeGroup(g, shards)) values.set(name, v);
        return values;
      },
    },
    { op: OP, signal },
  );
  opts.onProgress?.(1);
  return model;
}

/** `weightsManifest`, or the `weightSpecs` of TF.js's in-memory artifacts as one group in 'weights.bin'. */
function manifestOf(json: Record<string, unknown>): unknown {
  if (json.weightsManifest !== undefined) return json.weightsManifest;
  if (Array.isArray(json.weightSpecs)) return [{ paths: ['weights.bin'], weights: json.weightSpecs }];
  throw new CnnError(OP, 'model.json has no weightsManifest');
}

/** TF 2.2 wrote weights with a cell scope ("layer/cell/kernel"); the layer knows them as "layer/kernel". */
function cellScopeAlias(name: string): string[] {
  const parts = name.split('/');
  return parts.length > 2 ? [[...parts.slice(0, -2), parts[parts.length - 1]].join('/')] : [];
}

/**
 * TF.js's SeparableConv2D leaves depth_multiplier out of the config it saves (its getConfig drops
 * it), so a TF.js-saved model with a multiplier above 1 reads as 1; the depthwise kernel's last dim
 * in the manifest is the multiplier.
 */
function fillDepthMultipliers(graph: LayerGraph, manifest: ManifestGroup[]): void {
  const entries = new Map(manifest.flatMap((g) => g.weights).map((e) => [e.name, e]));
  for (const l of graph.layers) {
    if (l.className !== 'SeparableConv2D' || l.config.depth_multiplier !== undefined) continue;
    const kernel = entries.get(`${String(l.config.name)}/depthwise_kernel`);
    if (kernel?.shape.length === 4) l.config.depth_multiplier = kernel.shape[3];
  }
}

interface Opened {
  json: Record<string, unknown>;
  readShard: ShardReader;
}

function isArtifacts(s: unknown): s is ModelArtifacts {
  return typeof s === 'object' && s !== null && 'modelJson' in s;
}

async function open(source: ModelSource, signal: AbortSignal, files: LoadOptions['files']): Promise<Opened> {
  if (isArtifacts(source)) return openArtifacts(source);
  const ok = typeof source === 'string' || source instanceof URL || source instanceof Blob || source instanceof ArrayBuffer || ArrayBuffer.isView(source) || isFileList(source);
  if (!ok) throw new CnnError(OP, 'the source must be a model.json URL, the dropped model.json and .bin files, a File, Blob or ArrayBuffer holding model.json, or {modelJson, weights}');
  // Shard progress goes to the loader's report, by the path each read was asked for.
  const watchers = new Map<string, (loaded: number) => void>();
  const src: Source = openSource(source, {
    op: OP,
    signal,
    what: 'model.json',
    pick: pickModelJson,
    siblings: files,
    onProgress: (p: ReadProgress) => watchers.get(p.file)?.(p.loaded),
  });
  const main = src.main;
  const json = parseJson(await main.text(), typeof source === 'string' || source instanceof URL ? `model.json at ${main.name}` : source instanceof File || isFileList(source) ? `the file ${main.name}` : 'model.json');
  return {
    json,
    readShard: async (path, progress) => {
      const file = src.sibling(path, `weight shard '${path}'`);
      watchers.set(file.name, progress);
      const bytes = await file.bytes();
      progress(bytes.byteLength);
      return bytes;
    },
  };
}

function pickModelJson(files: readonly File[]): File {
  const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const modelFile = jsons.length === 1 ? jsons[0] : jsons.find((f) => f.name === 'model.json');
  if (modelFile) return modelFile;
  const names = (fs: readonly File[]) => fs.map((f) => f.name).join(', ') || 'none';
  throw new CnnError(OP, jsons.length === 0 ? `no model.json among the ${files.length} files given (${names(files)})` : `several .json files were given (${names(jsons)}) and none is named model.json`);
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CnnError(OP, `${what} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CnnError(OP, `${what} must hold a JSON object`);
  checkJsonDepth(OP, json, what);
  return json as Record<string, unknown>;
}

function openArtifacts(a: ModelArtifacts): Opened {
  const json = typeof a.modelJson === 'string' ? parseJson(a.modelJson, 'modelJson') : (a.modelJson as Record<string, unknown>);
  if (typeof json !== 'object' || json === null) throw new CnnError(OP, 'modelJson must be the parsed model.json object');
  if (typeof a.modelJson !== 'string') checkJsonDepth(OP, json, 'modelJson');
  const weights = a.weights;
  if (weights instanceof ArrayBuffer) {
    // One buffer holds every group back to back (as TF.js's weightData): hand each path its share.
    const manifest = json.weightsManifest === undefined && !Array.isArray(json.weightSpecs) ? [] : checkManifest(manifestOf(json));
    const slices = new Map<string, ArrayBuffer>();
    let at = 0;
    for (const g of manifest) {
      const bytes = g.weights.reduce((s, e) => s + storedBytes(e), 0);
      const end = Math.min(at + bytes, weights.byteLength);
      g.paths.forEach((p, i) => slices.set(p, i === 0 ? weights.slice(at, end) : new ArrayBuffer(0)));
      at = end;
    }
    // Bytes past the manifest's weights would otherwise be ignored without a word. Checked when the
    // weights are read, so that a manifest that does not match the model is named first.
    const needed = manifest.reduce((s, g) => s + g.weights.reduce((t, e) => t + storedBytes(e), 0), 0);
    return {
      json,
      readShard: async (path, progress) => {
        if (weights.byteLength > needed) throw new CnnError(OP, `the weights buffer is ${weights.byteLength - needed} bytes longer than the manifest's weights need (${needed} bytes)`);
        return take(slices, path, progress);
      },
    };
  }
  if (!(weights instanceof Map)) throw new CnnError(OP, 'weights must be an ArrayBuffer or a Map from shard path to ArrayBuffer');
  return { json, readShard: async (path, progress) => take(weights as Map<string, ArrayBuffer>, path, progress) };
}

function take(shards: Map<string, ArrayBuffer>, path: string, progress: (bytes: number) => void): Uint8Array {
  const buf = shards.get(path) ?? shards.get(path.slice(path.lastIndexOf('/') + 1));
  if (!buf) throw new CnnError(OP, `weight shard '${path}' is missing (given: ${[...shards.keys()].join(', ') || 'none'})`);
  progress(buf.byteLength);
  return new Uint8Array(buf);
}
