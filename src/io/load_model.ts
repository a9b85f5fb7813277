/**
 * One entry point for every model format: `loadModel` looks at what it is given (a file name's
 * extension when there is one, otherwise the first bytes: a protobuf ModelProto is ONNX, a JSON
 * object is a TF.js layers model.json) and hands it to that format's loader, so a page can take
 * whatever a reader drops.
 */
import type { Engine } from '../engine.js';
import { asCnnError, CnnError, throwIfAborted } from '../errors.js';
import type { Model } from '../nn/model.js';
import { isFileList, openSource } from './source.js';
import { loadLayersModel, type ModelArtifacts, type ModelSource } from './tfjs_layers/reader.js';
import { loadOnnxModel, parseOnnx, Progress, type OnnxLoadOptions } from './onnx/loader.js';
import { looksLikeOnnx } from './onnx/schema.js';

export type ModelFormat = 'onnx' | 'tfjs-layers';

const OP = 'loadModel';

/** Options every format takes; `inputSize` matters to ONNX models with a free input size. */
export type AnyModelOptions = OnnxLoadOptions;

/**
 * Loads a model in any supported format (ONNX, TF.js layers) from a URL, the dropped or picked
 * files, a File, Blob or bytes, or TF.js artifacts in memory.
 * @example
 * const model = await loadModel(engine, input.files, { onProgress: (f) => (bar.value = f), inputSize: [224, 224] });
 */
export async function loadModel(engine: Engine, source: ModelSource, opts: AnyModelOptions = {}): Promise<Model> {
  throwIfAborted(OP, opts.signal);
  if (typeof source === 'string' || source instanceof URL) {
    const byName = formatByName(String(source).split(/[?#]/)[0]!);
    if (byName === 'onnx') return loadOnnxModel(engine, source, opts);
    if (byName === 'tfjs-layers') return loadLayersModel(engine, source, opts);
    return loadUrlBySniffing(engine, source, opts);
  }
  const format = await detectModelFormat(source);
  return format === 'onnx' ? loadOnnxModel(engine, source as never, opts) : loadLayersModel(engine, source, opts);
}

/**
 * Which format `source` holds, without loading it: by extension where a name says (.onnx, .json),
 * otherwise by its first bytes. A URL without a telling extension is not fetched here ('onnx' is
 * only guessed for it by `loadModel`, which fetches and looks).
 */
export async function detectModelFormat(source: ModelSource): Promise<ModelFormat> {
  if (isArtifacts(source)) return 'tfjs-layers';
  if (typeof source === 'string' || source instanceof URL) {
    return formatByName(String(source).split(/[?#]/)[0]!) ?? fail(`cannot tell the format of '${String(source)}' from its name; loadModel fetches it and looks at its content`);
  }
  if (isFileList(source)) {
    const files = Array.from(source as ArrayLike<File>);
    for (const f of files) {
      const byName = formatByName(f.name);
      if (byName) return byName;
    }
    if (files.length === 1) return sniff(new Uint8Array(await files[0]!.slice(0, 64).arrayBuffer()), files[0]!.name);
    return fail(`none of the ${files.length} files given (${files.map((f) => f.name).join(', ')}) is a .onnx or a model.json`);
  }
  if (source instanceof Blob) {
    const byName = source instanceof File ? formatByName(source.name) : undefined;
    return byName ?? sniff(new Uint8Array(await source.slice(0, 64).arrayBuffer()), source instanceof File ? source.name : 'the blob');
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return sniff(bytes, 'the bytes given');
  }
  return fail('the source must be a URL, a File, a FileList, a Blob, bytes, or {modelJson, weights}');
}

function formatByName(name: string): ModelFormat | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.onnx')) return 'onnx';
  if (n.endsWith('.json')) return 'tfjs-layers';
  return undefined;
}

function sniff(head: Uint8Array, what: string): ModelFormat {
  const first = head.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  if (first === 0x7b) return 'tfjs-layers';
  if (looksLikeOnnx(head)) return 'onnx';
  return fail(`${what} is neither an ONNX model nor a TF.js model.json`);
}

/** A URL whose name does not tell: fetch it once, look, and load from the bytes fetched. */
async function loadUrlBySniffing(engine: Engine, url: string | URL, opts: AnyModelOptions): Promise<Model> {
  try {
    const progress = new Progress(opts.onProgress && ((f) => opts.onProgress!(f * 0.95)));
    const src = openSource(url, { op: OP, signal: opts.signal, what: 'the model', siblings: opts.files, onProgress: (p) => progress.file(p) });
    const bytes = await src.main.bytes();
    if (sniff(bytes.subarray(0, 64), src.main.name) === 'tfjs-layers') return await loadLayersModel(engine, url, opts);
    const onnx = await parseOnnx(src, bytes, progress, opts.signal);
    return await onnx.instantiate(engine, { ...opts, onProgress: opts.onProgress && ((f) => opts.onProgress!(0.95 + 0.05 * f)) });
  } catch (e) {
    throwIfAborted(OP, opts.signal);
    throw asCnnError(OP, e);
  }
}

function isArtifacts(s: unknown): s is ModelArtifacts {
  return typeof s === 'object' && s !== null && 'modelJson' in s;
}

function fail(message: string): never {
  throw new CnnError(OP, message);
}
