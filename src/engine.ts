/**
 * The engine: one GPU device, a buffer pool, a pipeline cache and a scheduler, plus the op methods.
 * Ops only record work; nothing waits for the GPU until a tensor is read.
 */
import { acquireGpu, DeviceLostError, type GpuInfo, type GpuOptions } from './gpu/device.js';
import { BufferPool } from './gpu/buffer_pool.js';
import { PipelineCache } from './gpu/pipeline_cache.js';
import { Scheduler, type DispatchRequest } from './gpu/scheduler.js';
import { Tensor, type TensorOwner } from './tensor.js';
import { asCnnError, fail, shapeStr } from './errors.js';
import type { Conv2dVariant } from './ops/conv2d.js';
import type { MatMulVariant } from './ops/matmul.js';
import type { DepthwiseVariant } from './ops/depthwise_conv2d.js';
import { opTable, type EngineOps } from './ops/table.js';
import type { OpDefinition } from './ops/op.js';
import { Autotuner, type WinnerStore } from './gpu/autotuner.js';
import { VERSION } from './version.js';
import type { DispatchObserver } from './gpu/scheduler.js';

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
  /** Bytes of free GPU buffers kept for reuse after dispose() (default 256 MiB); past it they are destroyed. */
  maxPooledBytes?: number;
}

export class Engine implements TensorOwner {
  readonly device: GPUDevice;
  readonly info: GpuInfo;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly scheduler: Scheduler;
  /**
   * Forces a kernel variant for every later call instead of the per-adapter choice ('auto'). To
   * run one call with a given variant, the ops' `launch*` functions take it as an argument.
   */
  readonly tuning: {
    conv2d: 'auto' | Conv2dVariant;
    matMul: 'auto' | MatMulVariant;
    pool: 'auto' | 'scalar';
    depthwise: 'auto' | DepthwiseVariant;
  } = { conv2d: 'auto', matMul: 'auto', pool: 'auto', depthwise: 'auto' };
  /** Present when autotuning is on (`createEngine({ autotune: true })` or `enableAutotune()`). */
  autotuner: Autotuner | null = null;
  /**
   * Resolves with the error every later call throws once the GPU device is lost (the browser's
   * `device.lost`, however it came about: `device.destroy()` on a device given to createEngine
   * counts too). Never resolves for the engine's own `destroy()`. A page listens here to start
   * again on a new engine.
   */
  readonly lost: Promise<DeviceLostError>;
  private destroyed = false;
  private lostError: DeviceLostError | null = null;
  /** Rejecters of the waits under way (`untilLost`), told at once when the device is lost. */
  private readonly waits = new Set<(lost: DeviceLostError) => void>();
  /** How deep in op calls this engine is, and the tensors made since the outermost began (see freeOnThrow). */
  private opDepth = 0;
  private madeInOp: Tensor[] = [];

  /**
   * `ownsDevice`: destroy the device with the engine (true when createEngine requested it).
   * `maxPooledBytes`: free buffers kept for reuse (default 256 MiB); past it, released buffers go.
   */
  constructor(device: GPUDevice, info: GpuInfo, private readonly ownsDevice = false, maxPooledBytes?: number) {
    this.device = device;
    this.info = info;
    this.lost = new Promise((resolve) => {
      void device.lost.then((info) => {
        if (this.destroyed) return;
        this.lostError = new DeviceLostError('Engine', info.reason, info.message);
        for (const reject of this.waits) reject(this.lostError);
        this.waits.clear();
        resolve(this.lostError);
      });
    });
    this.pool = new BufferPool(device, maxPooledBytes, (buffer) => this.scheduler.retire(buffer));
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
    this.checkAllocation('tensor', shape);
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
    // Before the host array: zeros([2 ** 31]) would otherwise ask the browser for 8 GiB first.
    this.checkAllocation('zeros', shape);
    return this.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }

  /** An uninitialised tensor for an op to write into. */
  empty(shape: readonly number[], label: string): Tensor {
    this.assertAlive(label);
    checkShape(label, shape);
    const bytes = this.checkAllocation(label, shape);
    const t = new Tensor(this, this.pool.acquire(bytes, `${label} ${shapeStr(shape)}`), shape);
    if (this.opDepth > 0) this.madeInOp.push(t);
    return t;
  }

  /**
   * The bytes a tensor of `shape` needs; fails, naming the op, the shape, the bytes and the limit,
   * when one buffer of them is more than this device can bind (maxStorageBufferBindingSize) or make
   * (maxBufferSize). Every op's output goes through empty(), so this runs before any host or GPU
   * allocation of an oversized result.
   */
  checkAllocation(op: string, shape: readonly number[]): number {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = this.device.limits;
    const limit = Math.min(binding, buffer);
    if (bytes > limit) {
      const gib = (n: number) => `${(n / 2 ** 30).toPrecision(3)} GiB`;
      fail(op, `a tensor of shape ${shapeStr(shape)} needs ${bytes} bytes (${gib(bytes)}), more than this device's limit of ${limit} bytes (${gib(limit)}; maxStorageBufferBindingSize ${binding}, maxBufferSize ${buffer})`);
    }
    return bytes;
  }

  /**
   * Runs an op's forward (the engine's op methods and the tape come through here). When it
   * throws, the tensors it made are freed on the way out: an op that fails a check after
   * allocating its output (a tensor of another engine, say) would otherwise keep a GPU buffer.
   * @internal
   */
  runOp<Out>(def: OpDefinition<any[], Out>, args: readonly unknown[]): Out {
    return this.freeOnThrow(() => def.forward(this, ...args));
  }

  /**
   * Runs the synchronous `body`; when it throws, every tensor made during it is freed before the
   * error goes on (those it had freed itself already are left alone). For work that makes
   * temporaries and results in several steps, any of which may fail: a backward pass, a layer
   * building its weights.
   * @internal
   */
  freeOnThrow<T>(body: () => T): T {
    const mark = this.madeInOp.length;
    this.opDepth++;
    try {
      return body();
    } catch (e) {
      for (const t of this.madeInOp.splice(mark)) t.dispose();
      throw e;
    } finally {
      if (--this.opDepth === 0) this.madeInOp.length = 0;
    }
  }

  /** Records one dispatch (used by the ops). */
  run(req: DispatchRequest): void {
    this.assertAlive(req.shader.name);
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
    this.autotuner ??= new Autotuner(`cnn-webgpu@${VERSION}:autotune:${this.info.description}`, store);
    return this.autotuner;
  }

  /**
   * Calls `observer` with every dispatch this engine records from now on (shader, entry point,
   * workgroups, bytes bound); returns the function that stops it.
   * @example
   * const seen: string[] = [];
   * const stop = engine.observeDispatches((d) => seen.push(`${d.shader}.${d.entry}`));
   * engine.conv2d(x, w, { bias: b, activation: 'relu' }).dispose();
   * stop(); // seen: ['conv2d.conv2d_block_vec4'] (one dispatch)
   */
  observeDispatches(observer: DispatchObserver): () => void {
    return this.scheduler.observe(observer);
  }

  /** Submits everything queued so far without waiting for it. */
  flush(): void {
    this.assertAlive('flush');
    this.scheduler.flush();
  }

  /** Resolves when the GPU has finished all queued work. */
  async sync(): Promise<void> {
    this.flush();
    await this.untilLost('sync', this.device.queue.onSubmittedWorkDone());
  }

  /** True once the GPU device is lost (see `lost`). */
  get isLost(): boolean {
    return this.lostError !== null;
  }

  memory(): MemoryInfo {
    const s = this.pool.stats();
    return { buffers: s.liveBuffers, bytes: s.liveBytes, pooledBuffers: s.freeBuffers, pooledBytes: s.freeBytes };
  }

  async readBuffer(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
    this.assertAlive('read');
    if (bytes === 0) return new Float32Array(0);
    this.flush();
    const staging = this.device.createBuffer({ label: `read ${buffer.label}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: 'cnn-webgpu read' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    try {
      await this.untilLost('read', staging.mapAsync(GPUMapMode.READ));
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

  private assertAlive(op: string): void {
    if (this.destroyed) fail(op, 'this engine was destroyed');
    if (this.lostError) throw new DeviceLostError(op, this.lostError.reason, this.lostError.details);
  }

  /**
   * `work`, or a DeviceLostError as soon as the device is lost: a lost device may leave a map or a
   * work-done promise pending forever, and its rejections are DOMExceptions that name no op. A
   * rejection that comes with the loss (or just before the browser reports it) becomes the loss.
   */
  private async untilLost<T>(op: string, work: Promise<T>): Promise<T> {
    let stop!: (lost: DeviceLostError) => void;
    const lost = new Promise<never>((_, reject) => {
      stop = (e) => reject(new DeviceLostError(op, e.reason, e.details));
    });
    this.waits.add(stop);
    try {
      return await Promise.race([work, lost]);
    } catch (err) {
      if (err instanceof DeviceLostError || this.destroyed) throw err;
      // The browser rejects the map first and reports the loss a moment later: wait briefly for it.
      const loss = await Promise.race([this.lost, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      if (loss) throw new DeviceLostError(op, loss.reason, loss.details);
      throw asCnnError(op, err);
    } finally {
      this.waits.delete(stop);
    }
  }
}

// The op methods (engine.conv2d(x, w, opts), engine.relu(x), …) come from the op table: one per
// definition, calling its forward with this engine.
export interface Engine extends EngineOps {}
for (const [name, def] of Object.entries(opTable) as [string, OpDefinition][]) {
  Object.defineProperty(Engine.prototype, name, {
    value: function (this: Engine, ...args: unknown[]) {
      return this.runOp(def, args);
    },
    writable: true,
    configurable: true,
  });
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    fail(op, `shape ${Array.isArray(shape) ? shapeStr(shape) : String(shape)} must be an array of non-negative integers`);
  }
  // Past 2^53 a product of dims is no longer exact; no device holds such a tensor anyway.
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size * 4)) fail(op, `shape ${shapeStr(shape)} has ${size} elements, more than any device can hold`);
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
  const pooled = options.maxPooledBytes;
  if (pooled !== undefined && !(Number.isFinite(pooled) && pooled >= 0)) fail('createEngine', `maxPooledBytes must be a number of bytes ≥ 0, got ${String(pooled)}`);
  const { device, info } = await acquireGpu(options);
  const engine = new Engine(device, info, !options.device, pooled);
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
