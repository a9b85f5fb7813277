/**
 * A float32 tensor living in a GPU buffer. Creating one queues an upload; reading one is the only
 * point where the CPU waits for the GPU.
 */
import { fail, shapeStr } from './errors.js';

/** What a tensor needs from the engine that made it. */
export interface TensorOwner {
  readBuffer(buffer: GPUBuffer, bytes: number): Promise<Float32Array>;
  releaseBuffer(buffer: GPUBuffer): void;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  private gpuBuffer: GPUBuffer | null;

  constructor(
    private readonly owner: TensorOwner,
    buffer: GPUBuffer,
    shape: readonly number[],
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = shape.reduce((a, b) => a * b, 1);
    this.gpuBuffer = buffer;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.gpuBuffer === null;
  }

  /** The GPU buffer holding the values (its size may exceed `size * 4`: buffers are pooled by size class). */
  get buffer(): GPUBuffer {
    if (!this.gpuBuffer) fail('Tensor', `a tensor of shape ${shapeStr(this.shape)} was used after dispose()`);
    return this.gpuBuffer;
  }

  /**
   * Copies the values back to the CPU, waiting for all queued work they depend on.
   * @example
   * const y = engine.relu(x);
   * console.log(await y.read());
   */
  async read(): Promise<Float32Array> {
    return this.owner.readBuffer(this.buffer, this.size * 4);
  }

  /** Returns the buffer to the engine's pool. Safe to call twice. */
  dispose(): void {
    if (!this.gpuBuffer) return;
    this.owner.releaseBuffer(this.gpuBuffer);
    this.gpuBuffer = null;
  }

  toString(): string {
    return `Tensor${shapeStr(this.shape)}${this.isDisposed ? ' (disposed)' : ''}`;
  }
}
