/**
 * One GPU device and one copy of each model per page: every element asks here for the engine and
 * for models by URL. A model is loaded once however many elements show it; their progress
 * callbacks all hear the one download, and an element that goes away stops waiting without
 * cancelling the load for the others.
 */
import { createEngine, loadLayersModel, WebGpuUnavailableError, type Engine, type Model } from '../../src/index.js';
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
  engine ??= createEngine().catch((err: unknown) => {
    engine = null;
    throw new WebGpuUnavailableError(`WebGPU is present, but no GPU device could be obtained from it: ${messageOf(err)}`);
  });
  return engine;
}

interface Entry {
  model: Promise<Model>;
  fraction: number;
  listeners: Set<(fraction: number) => void>;
}

const models = new Map<string, Entry>();

/** The absolute URL a model is cached under (relative URLs resolve against the page). */
export function modelKey(url: string): string {
  return new URL(url, document.baseURI).href;
}

/**
 * The model at `url` (a TensorFlow.js layers model.json), loaded once per page. `onProgress`
 * hears fractions in [0, 1]; `signal` stops this caller's wait only. A failed load is forgotten,
 * so the next call tries again.
 */
export async function sharedModel(url: string, opts: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {}): Promise<Model> {
  const key = modelKey(url);
  const e = await sharedEngine();
  let entry = models.get(key);
  if (!entry) {
    const fresh: Entry = { model: Promise.resolve(null as unknown as Model), fraction: 0, listeners: new Set() };
    fresh.model = loadLayersModel(e, key, {
      onProgress: (fraction: number) => {
        fresh.fraction = fraction;
        for (const f of fresh.listeners) f(fraction);
      },
    });
    fresh.model.catch(() => {
      if (models.get(key) === fresh) models.delete(key);
    });
    models.set(key, fresh);
    entry = fresh;
  }
  const { onProgress, signal } = opts;
  if (onProgress) {
    onProgress(entry.fraction);
    entry.listeners.add(onProgress);
  }
  try {
    return await abortable(entry.model, signal);
  } finally {
    if (onProgress) entry.listeners.delete(onProgress);
  }
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
