/**
 * The one way GPU tests run: each gets a fresh engine on the shared device, inside validation,
 * out-of-memory and internal error scopes; any WebGPU error fails the test, and the engine (with
 * every buffer the test made) is destroyed afterwards. A missing adapter fails the test.
 */
import { createEngine, Engine } from '../../src/engine.js';
import { acquireGpu, type Gpu } from '../../src/gpu/device.js';

let gpu: Promise<Gpu> | null = null;

export function sharedGpu(): Promise<Gpu> {
  gpu ??= acquireGpu();
  return gpu;
}

export async function withEngine<T>(body: (e: Engine) => Promise<T> | T): Promise<T> {
  const { device, info } = await sharedGpu();
  const engine = new Engine(device, info);
  const filters: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
  for (const f of filters) device.pushErrorScope(f);
  let result: T;
  try {
    result = await body(engine);
    await engine.sync();
  } finally {
    const errors: GPUError[] = [];
    for (let i = 0; i < filters.length; i++) {
      const e = await device.popErrorScope();
      if (e) errors.push(e);
    }
    engine.destroy();
    if (errors.length) throw new Error(`WebGPU error(s) during the test: ${errors.map((e) => e.message).join(' | ')}`);
  }
  return result;
}

/** `it` for a GPU test: the body receives a fresh engine inside error scopes. */
export function gpuIt(name: string, body: (e: Engine) => Promise<void> | void): void {
  it(name, () => withEngine(body));
}

/**
 * Like `withEngine`, but on a device of the test's own (from createEngine), so that the body may
 * lose it (`engine.device.destroy()`) without taking the shared device from the other tests. Errors
 * popped after a loss do not count: a lost device reports none.
 */
export async function withOwnEngine<T>(body: (e: Engine) => Promise<T> | T): Promise<T> {
  const engine = await createEngine();
  const { device } = engine;
  const filters: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
  for (const f of filters) device.pushErrorScope(f);
  try {
    return await body(engine);
  } finally {
    const errors: GPUError[] = [];
    for (let i = 0; i < filters.length; i++) {
      const e = await device.popErrorScope().catch(() => null);
      if (e && !engine.isLost) errors.push(e);
    }
    engine.destroy();
    if (errors.length) throw new Error(`WebGPU error(s) during the test: ${errors.map((e) => e.message).join(' | ')}`);
  }
}
