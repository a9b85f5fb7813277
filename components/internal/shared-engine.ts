/**
 * One GPU device and one copy of each model per page: every element asks here for the engine and
 * for models by URL. A model is loaded once however many elements show it; their progress
 * callbacks all hear the one download, and an element that goes away stops waiting without
 * cancelling the load for the others.
 */
import { createEngine, loadModel, readOnnxModel, WebGpuUnavailableError, type DeviceLostError, type Engine, type Model, type OnnxFile, type OnnxModelInfo } from '../../src/index.js';
import { messageOf } from './errors.js';

export type { Engine, Model };

/** Where a page can say which browsers work: the message every element shows without WebGPU. */
export const BROWSERS_THAT_WORK =
  'Chrome and Edge 113 or newer (Windows, macOS, ChromeOS, Android), Safari 26 or newer (macOS, iOS), and Firefox 141 or newer on Windows; on Linux, Chrome or Chromium started with --enable-unsafe-webgpu.';

/** Why an element shows the notice where `navigator.gpu` is missing: the one text all elements use. */
export const NO_WEBGPU = 'This browser does not offer WebGPU (navigator.gpu is missing).';

/** Why an element shows the notice where `navigator.gpu` exists but offers no adapter. */
export const NO_ADAPTER = 'This browser offers WebGPU, but no GPU adapter (the GPU may be blocked, or on Linux WebGPU is behind a flag).';

let engine: Promise<Engine> | null = null;
const lossListeners = new Set<(error: DeviceLostError) => void>();
const probes = new WeakMap<object, Promise<boolean>>();

/**
 * Whether this page can get a GPU adapter, asked once per `navigator.gpu` (cheap: no device is
 * made). Elements ask when they appear, so a page without a usable GPU says so before the reader
 * presses anything.
 */
export function probeAdapter(): Promise<boolean> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) return Promise.resolve(false);
  let probe = probes.get(gpu);
  if (!probe) {
    probe = Promise.resolve()
      .then(() => gpu.requestAdapter())
      .then((a) => a !== null)
      .catch(() => false);
    probes.set(gpu, probe);
  }
  return probe;
}

/** True when `navigator.gpu` exists (an adapter may still be missing: `sharedEngine` tells). */
export function hasWebGpu(): boolean {
  return Boolean((globalThis.navigator as Navigator & { gpu?: GPU } | undefined)?.gpu);
}

/**
 * The page's engine, created on first use. Rejects with a WebGpuUnavailableError where WebGPU or
 * an adapter is missing; a later call tries again (a page may be granted a GPU later).
 * @example
 * const engine = await sharedEngine();
 */
export function sharedEngine(): Promise<Engine> {
  if (!hasWebGpu()) return Promise.reject(new WebGpuUnavailableError(NO_WEBGPU));
  if (!engine) {
    const made = createEngine().catch((err: unknown) => {
      engine = null;
      throw new WebGpuUnavailableError(`WebGPU is present, but no GPU device could be obtained from it: ${messageOf(err)}`);
    });
    engine = made;
    void made.then((e) => e.lost).then((error) => forgetLost(made, error), () => undefined);
  }
  return engine;
}

/**
 * Calls `listener` when the page's engine loses its GPU device, after the engine and every model
 * on it were forgotten here: from inside the listener, `sharedEngine()` and `sharedModel()` start
 * again on a new device. Returns the function that stops listening.
 * @example
 * const stop = onEngineLost(() => void sharedModel(url).then(redraw));
 */
export function onEngineLost(listener: (error: DeviceLostError) => void): () => void {
  lossListeners.add(listener);
  return () => lossListeners.delete(listener);
}

/** Nothing made on a lost device can be used again: drop the engine and the models built on it (parsed ONNX files stay, they live on the CPU). */
function forgetLost(lost: Promise<Engine>, error: DeviceLostError): void {
  if (engine !== lost) return;
  engine = null;
  models.clear();
  for (const file of onnxFiles.values()) file.sizes.clear();
  for (const listener of [...lossListeners]) listener(error);
}

interface Entry {
  model: Promise<Model>;
  fraction: number;
  listeners: Set<(fraction: number) => void>;
}

const models = new Map<string, Entry>();
/** Parsed ONNX files by URL: one download however many input sizes a free-size model is built at. */
const onnxFiles = new Map<string, Entry & { file: Promise<OnnxFile>; sizes: Map<string, Promise<Model>> }>();
/** What the ONNX file of a model given out here says (labels in its metadata, a free input size). */
const onnxOf = new WeakMap<Model, { info: OnnxModelInfo; file: OnnxFile; sizes: Map<string, Promise<Model>> }>();

/** Options of `sharedModel` and `loadModelFiles`. */
export interface SharedModelOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** [height, width] for an ONNX model whose input size is free (ignored where the file fixes it). */
  inputSize?: readonly [number, number];
}

/** The absolute URL a model is cached under (relative URLs resolve against the page). */
export function modelKey(url: string): string {
  return new URL(url, document.baseURI).href;
}

function isOnnxUrl(key: string): boolean {
  return key.split(/[?#]/)[0]!.toLowerCase().endsWith('.onnx');
}

/** One shared download with progress fanned out to every waiting element; forgotten if it fails. */
function share<E extends Entry>(map: Map<string, E>, key: string, make: (progress: (f: number) => void) => Omit<E, 'fraction' | 'listeners'>): E {
  let entry = map.get(key);
  if (!entry) {
    const listeners = new Set<(fraction: number) => void>();
    const fresh = { fraction: 0, listeners } as unknown as E;
    Object.assign(
      fresh,
      make((f) => {
        fresh.fraction = f;
        for (const l of listeners) l(f);
      }),
    );
    fresh.model.catch(() => {
      if (map.get(key) === fresh) map.delete(key);
    });
    map.set(key, fresh);
    entry = fresh;
  }
  return entry;
}

async function follow<T>(entry: Entry, promise: Promise<T>, opts: SharedModelOptions): Promise<T> {
  const { onProgress, signal } = opts;
  if (onProgress) {
    onProgress(entry.fraction);
    entry.listeners.add(onProgress);
  }
  try {
    return await abortable(promise, signal);
  } finally {
    if (onProgress) entry.listeners.delete(onProgress);
  }
}

function sizeKey(size: readonly [number, number] | undefined): string {
  return size ? `${size[0]}x${size[1]}` : '';
}

/** Builds `file` at `size` once per size, remembering where each model came from. */
function instantiateOnce(e: Engine, file: OnnxFile, sizes: Map<string, Promise<Model>>, size: readonly [number, number] | undefined): Promise<Model> {
  const use = file.info.freeInputSize ? size : undefined;
  const k = sizeKey(use);
  let model = sizes.get(k);
  if (!model) {
    model = file.instantiate(e, { inputSize: use }).then((m) => {
      onnxOf.set(m, { info: file.info, file, sizes });
      return m;
    });
    model.catch(() => sizes.get(k) === model && sizes.delete(k));
    sizes.set(k, model);
  }
  return model;
}

/**
 * The model at `url` (an ONNX `.onnx` with its external data beside it, or a TensorFlow.js layers
 * model.json), loaded once per page; an ONNX model with a free input size once per `inputSize`
 * (cached as `url@HxW`, the file read once). `onProgress` hears fractions in [0, 1]; `signal` stops
 * this caller's wait only. A failed load is forgotten, so the next call tries again.
 * @example
 * const model = await sharedModel('models/alexnet.onnx', { inputSize: [224, 224] });
 */
export async function sharedModel(url: string, opts: SharedModelOptions = {}): Promise<Model> {
  const key = modelKey(url);
  const e = await sharedEngine();
  if (!isOnnxUrl(key)) {
    const entry = share(models, key, (progress) => ({ model: loadModel(e, key, { onProgress: progress, inputSize: opts.inputSize }) }));
    return follow(entry, entry.model, opts);
  }
  const parsed = share(onnxFiles, key, (progress) => {
    const file = readOnnxModel(key, { onProgress: (f) => progress(f * 0.95) });
    // The entry's `model` is the parse: a failed read is forgotten like a failed load.
    return { file, model: file.then(() => null as unknown as Model), sizes: new Map<string, Promise<Model>>() };
  });
  const file = await follow(parsed, parsed.file, opts);
  const model = await abortable(instantiateOnce(e, file, parsed.sizes, opts.inputSize), opts.signal);
  opts.onProgress?.(1);
  return model;
}

/**
 * A model from files a reader dropped or picked: a `.onnx` (its external data files found among the
 * others by name) or a model.json with its weight shards. Not cached: each drop is a new model.
 */
export async function loadModelFiles(files: FileList | readonly File[], opts: SharedModelOptions = {}): Promise<Model> {
  const e = await sharedEngine();
  const list = Array.from(files as ArrayLike<File>);
  if (!list.some((f) => f.name.toLowerCase().endsWith('.onnx'))) return loadModel(e, list, opts);
  const file = await readOnnxModel(list, { onProgress: opts.onProgress && ((f) => opts.onProgress!(f * 0.95)), signal: opts.signal });
  const model = await abortable(instantiateOnce(e, file, new Map(), opts.inputSize), opts.signal);
  opts.onProgress?.(1);
  return model;
}

/** What the ONNX file behind `model` says (metadata, a free input size), or null for other models. */
export function onnxInfo(model: Model): OnnxModelInfo | null {
  return onnxOf.get(model)?.info ?? null;
}

/**
 * `model` built at another input size (an ONNX model with a free input size; others come back as
 * they are). The file is not read again; each size is built once.
 */
export async function atInputSize(model: Model, size: readonly [number, number]): Promise<Model> {
  const o = onnxOf.get(model);
  if (!o || !o.info.freeInputSize) return model;
  const [h, w] = model.inputShape as number[];
  if (h === size[0] && w === size[1]) return model;
  return instantiateOnce(await sharedEngine(), o.file, o.sizes, size);
}

/** Waits for `promise` unless `signal` aborts first (the shared work goes on for whoever else wants it). */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
