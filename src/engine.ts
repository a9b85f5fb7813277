/**
 * The engine: one GPU device, a buffer pool, a pipeline cache and a scheduler, plus the op methods.
 * Ops only record work; nothing waits for the GPU until a tensor is read.
 */
import { acquireGpu, type GpuInfo, type GpuOptions } from './gpu/device.js';
import { BufferPool } from './gpu/buffer_pool.js';
import { PipelineCache } from './gpu/pipeline_cache.js';
import { Scheduler, type DispatchRequest } from './gpu/scheduler.js';
import { Tensor, type TensorOwner } from './tensor.js';
import { fail, shapeStr } from './errors.js';
import { conv2d, conv2dGradInput, conv2dGradFilter, type Conv2dOptions, type Conv2dVariant } from './ops/conv2d.js';
import { maxPool2d, maxPool2dGrad, avgPool2d, avgPool2dGrad, type Pool2dOptions } from './ops/pool.js';
import { unary, unaryGrad, type UnaryOp } from './ops/elementwise.js';
import { binary } from './ops/binary.js';
import { matMul, type MatMulOptions, type MatMulVariant } from './ops/matmul.js';
import { softmax, logSoftmax, softmaxCrossEntropy } from './ops/softmax.js';
import { reduce } from './ops/reduce.js';
import { depthwiseConv2d, depthwiseConv2dGradInput, depthwiseConv2dGradFilter } from './ops/depthwise_conv2d.js';
import { batchNorm } from './ops/batch_norm.js';
import { pad } from './ops/pad.js';
import { slice } from './ops/slice.js';
import { concat } from './ops/concat.js';
import { reshape } from './ops/reshape.js';
import { isImage, onImages } from './ops/single_image.js';
import { Autotuner, type WinnerStore } from './gpu/autotuner.js';

export interface MemoryInfo {
  /** GPU buffers held by live tensors. */
  buffers: number;
  /** Bytes of those buffers. */
  bytes: number;
  /** Buffers kept in the pool for reuse (not owned by any tensor). */
  pooledBuffers: number;
  pooledBytes: number;
}

export interface EngineOptions extends GpuOptions {
  /**
   * Time kernel variants per shape class on this adapter and keep the fastest (see
   * src/gpu/autotuner.ts); `true` keeps the winners in localStorage when the page has one.
   */
  autotune?: boolean | { store: WinnerStore | null };
}

export class Engine implements TensorOwner {
  readonly device: GPUDevice;
  readonly info: GpuInfo;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly scheduler: Scheduler;
  /** Forces a kernel variant instead of the per-adapter choice (benchmarks and tests use this). */
  readonly tuning: {
    conv2d: 'auto' | Conv2dVariant;
    matMul: 'auto' | MatMulVariant;
    pool: 'auto' | 'scalar';
    depthwise: 'auto' | 'block' | 'wide';
  } = { conv2d: 'auto', matMul: 'auto', pool: 'auto', depthwise: 'auto' };
  /** Present when autotuning is on (`createEngine({ autotune: true })` or `enableAutotune()`). */
  autotuner: Autotuner | null = null;
  private destroyed = false;
  private lostMessage: string | null = null;

  /** `ownsDevice`: destroy the device with the engine (true when createEngine requested it). */
  constructor(device: GPUDevice, info: GpuInfo, private readonly ownsDevice = false) {
    this.device = device;
    this.info = info;
    void device.lost.then((lost) => {
      if (!this.destroyed) this.lostMessage = `the GPU device was lost (${lost.reason}): ${lost.message || 'no details'}; create a new engine`;
    });
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    this.scheduler = new Scheduler(device, this.pipelines);
  }

  /**
   * A tensor holding `data` (row-major) with the given shape.
   * @example
   * const x = engine.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
   */
  tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor {
    checkShape('tensor', shape);
    if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
      fail('tensor', `data must be a Float32Array or an array of numbers, got ${data === null ? 'null' : typeof data}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) fail('tensor', `data has ${data.length} values but shape ${shapeStr(shape)} needs ${size}`);
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const t = this.empty(shape, 'tensor');
    this.scheduler.upload(t.buffer, values);
    return t;
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[]): Tensor {
    checkShape('zeros', shape);
    return this.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }

  /** An uninitialised tensor for an op to write into. */
  empty(shape: readonly number[], label: string): Tensor {
    this.assertAlive();
    const size = shape.reduce((a, b) => a * b, 1);
    const bytes = size * 4;
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) fail(label, `a tensor of shape ${shapeStr(shape)} needs ${bytes} bytes, more than this adapter's ${limit}-byte storage buffer limit`);
    return new Tensor(this, this.pool.acquire(bytes, `${label} ${shapeStr(shape)}`), shape);
  }

  /** Records one dispatch (used by the ops). */
  run(req: DispatchRequest): void {
    this.assertAlive();
    for (const [binding, buffer] of Object.entries(req.buffers)) {
      // A tensor of another engine (perhaps on another device) would otherwise fail only inside
      // WebGPU, after the op returned, or silently corrupt this engine's pool accounting.
      if (!this.pool.owns(buffer)) fail(req.shader.name, `the tensor bound to '${binding}' (${buffer.label}) belongs to another engine or was disposed`);
    }
    this.scheduler.dispatch(req);
  }

  /**
   * Turns on per-adapter autotuning of kernel variants; winners persist in `store`
   * (localStorage by default, where there is one).
   */
  enableAutotune(store: WinnerStore | null = defaultStore()): Autotuner {
    this.autotuner ??= new Autotuner(`cnn-webgpu:autotune:${this.info.description}`, store);
    return this.autotuner;
  }

  /** Submits everything queued so far without waiting for it. */
  flush(): void {
    this.scheduler.flush();
  }

  /** Resolves when the GPU has finished all queued work. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  memory(): MemoryInfo {
    const s = this.pool.stats();
    return { buffers: s.liveBuffers, bytes: s.liveBytes, pooledBuffers: s.freeBuffers, pooledBytes: s.freeBytes };
  }

  async readBuffer(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
    this.assertAlive();
    if (bytes === 0) return new Float32Array(0);
    this.flush();
    const staging = this.device.createBuffer({ label: `read ${buffer.label}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: 'cnn-webgpu read' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
      return new Float32Array(staging.getMappedRange().slice(0));
    } finally {
      staging.destroy();
    }
  }

  releaseBuffer(buffer: GPUBuffer): void {
    if (!this.destroyed) this.pool.release(buffer);
  }

  /** Frees every GPU buffer the engine made, and the device when the engine requested it. */
  destroy(): void {
    if (this.destroyed) return;
    this.scheduler.flush();
    this.scheduler.destroy();
    this.pool.destroyAll();
    this.destroyed = true;
    if (this.ownsDevice) this.device.destroy();
  }

  private assertAlive(): void {
    if (this.destroyed) fail('Engine', 'this engine was destroyed');
    if (this.lostMessage) fail('Engine', this.lostMessage);
  }

  // ---- ops: thin methods over src/ops, so the API reads as engine.op(...) ----

  conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
    if (isImage(x)) return onImages(this, [x], ([x4]) => conv2d(this, x4!, w, opts));
    return conv2d(this, x, w, opts);
  }
  conv2dGradInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
    if (isImage(dy) && xShape?.length === 3) return onImages(this, [dy], ([dy4]) => conv2dGradInput(this, dy4!, w, [1, ...xShape], opts));
    return conv2dGradInput(this, dy, w, xShape, opts);
  }
  conv2dGradFilter(x: Tensor, dy: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
    if (isImage(x) && isImage(dy)) return onImages(this, [x, dy], ([x4, dy4]) => conv2dGradFilter(this, x4!, dy4!, wShape, opts), false);
    return conv2dGradFilter(this, x, dy, wShape, opts);
  }
  maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
    if (isImage(x)) return onImages(this, [x], ([x4]) => maxPool2d(this, x4!, opts));
    return maxPool2d(this, x, opts);
  }
  maxPool2dGrad(dy: Tensor, x: Tensor, opts: Pool2dOptions): Tensor {
    if (isImage(dy) && isImage(x)) return onImages(this, [dy, x], ([dy4, x4]) => maxPool2dGrad(this, dy4!, x4!, opts));
    return maxPool2dGrad(this, dy, x, opts);
  }
  avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
    if (isImage(x)) return onImages(this, [x], ([x4]) => avgPool2d(this, x4!, opts));
    return avgPool2d(this, x, opts);
  }
  avgPool2dGrad(dy: Tensor, xShape: readonly number[], opts: Pool2dOptions): Tensor {
    if (isImage(dy) && xShape?.length === 3) return onImages(this, [dy], ([dy4]) => avgPool2dGrad(this, dy4!, [1, ...xShape], opts));
    return avgPool2dGrad(this, dy, xShape, opts);
  }
  relu(x: Tensor): Tensor {
    return unary(this, 'relu', x);
  }
  leakyRelu(x: Tensor, alpha = 0.2): Tensor {
    return unary(this, 'leakyRelu', x, alpha);
  }
  sigmoid(x: Tensor): Tensor {
    return unary(this, 'sigmoid', x);
  }
  tanh(x: Tensor): Tensor {
    return unary(this, 'tanh', x);
  }
  reluGrad(dy: Tensor, x: Tensor): Tensor {
    return unaryGrad(this, 'relu', dy, x);
  }
  leakyReluGrad(dy: Tensor, x: Tensor, alpha = 0.2): Tensor {
    return unaryGrad(this, 'leakyRelu', dy, x, alpha);
  }
  sigmoidGrad(dy: Tensor, y: Tensor): Tensor {
    return unaryGrad(this, 'sigmoid', dy, y);
  }
  tanhGrad(dy: Tensor, y: Tensor): Tensor {
    return unaryGrad(this, 'tanh', dy, y);
  }
  /** Applies a unary op by name (the activations above and a few helpers such as `neg`, `exp`). */
  unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
    return unary(this, op, x, alpha);
  }
  add(a: Tensor, b: Tensor): Tensor {
    return binary(this, 'add', a, b);
  }
  sub(a: Tensor, b: Tensor): Tensor {
    return binary(this, 'sub', a, b);
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return binary(this, 'mul', a, b);
  }
  matMul(a: Tensor, b: Tensor, opts: MatMulOptions = {}): Tensor {
    return matMul(this, a, b, opts);
  }
  softmax(x: Tensor): Tensor {
    return softmax(this, x);
  }
  logSoftmax(x: Tensor): Tensor {
    return logSoftmax(this, x);
  }
  softmaxCrossEntropy(logits: Tensor, oneHotLabels: Tensor): { loss: Tensor; dLogits: Tensor } {
    return softmaxCrossEntropy(this, logits, oneHotLabels);
  }
  sum(x: Tensor, axes?: number | readonly number[]): Tensor {
    return reduce(this, 'sum', x, axes);
  }
  mean(x: Tensor, axes?: number | readonly number[]): Tensor {
    return reduce(this, 'mean', x, axes);
  }
  depthwiseConv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
    if (isImage(x)) return onImages(this, [x], ([x4]) => depthwiseConv2d(this, x4!, w, opts));
    return depthwiseConv2d(this, x, w, opts);
  }
  depthwiseConv2dGradInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
    if (isImage(dy) && xShape?.length === 3) return onImages(this, [dy], ([dy4]) => depthwiseConv2dGradInput(this, dy4!, w, [1, ...xShape], opts));
    return depthwiseConv2dGradInput(this, dy, w, xShape, opts);
  }
  depthwiseConv2dGradFilter(x: Tensor, dy: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
    if (isImage(x) && isImage(dy)) return onImages(this, [x, dy], ([x4, dy4]) => depthwiseConv2dGradFilter(this, x4!, dy4!, wShape, opts), false);
    return depthwiseConv2dGradFilter(this, x, dy, wShape, opts);
  }
  /** `tf.batchNorm` with statistics of shape [c] along the last axis; null offset/scale mean 0/1. */
  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset: Tensor | null = null, scale: Tensor | null = null, epsilon = 0.001): Tensor {
    return batchNorm(this, x, mean, variance, offset, scale, epsilon);
  }
  pad(x: Tensor, paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
    return pad(this, x, paddings, constantValue);
  }
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    return slice(this, x, begin, size);
  }
  concat(xs: readonly Tensor[], axis: number): Tensor {
    return concat(this, xs, axis);
  }
  /** A new tensor (its own buffer) with x's values in `shape`; one dim may be -1. */
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    return reshape(this, x, shape);
  }
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    fail(op, `shape ${Array.isArray(shape) ? shapeStr(shape) : String(shape)} must be an array of non-negative integers`);
  }
}

/**
 * Acquires a GPU device and returns an engine on it. Rejects with a message saying which browsers
 * work when WebGPU is missing.
 * @example
 * const e = await createEngine();
 * const y = e.relu(e.tensor([-1, 2], [2]));
 * await y.read(); // Float32Array [0, 2]
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const { device, info } = await acquireGpu(options);
  const engine = new Engine(device, info, !options.device);
  if (options.autotune) engine.enableAutotune(options.autotune === true ? defaultStore() : options.autotune.store);
  return engine;
}

function defaultStore(): WinnerStore | null {
  try {
    return (globalThis as { localStorage?: WinnerStore }).localStorage ?? null;
  } catch {
    // Opaque origins throw on access to localStorage.
    return null;
  }
}
