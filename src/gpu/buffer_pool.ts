/**
 * A pool of storage buffers keyed by size class. Training loops allocate the same shapes every step,
 * so returning buffers here on `dispose()` instead of destroying them keeps allocation off the hot
 * path and keeps GPU memory flat.
 */

// Read when a buffer is made, not at import: a page without WebGPU has no GPUBufferUsage, and the
// elements must still load there to say so.
const usage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
/** Free buffers beyond this many bytes are destroyed rather than kept. */
const DEFAULT_MAX_FREE_BYTES = 256 * 1024 * 1024;
const MIN_BYTES = 16;

/**
 * Rounds up to a size class: powers of two split into four steps, so a pooled buffer wastes at most
 * a quarter of its size while near-equal shapes still share buffers.
 */
export function sizeClass(bytes: number): number {
  const n = Math.max(MIN_BYTES, Math.ceil(bytes / 4) * 4);
  if (n <= 256) return Math.ceil(n / 16) * 16;
  const pow = 2 ** Math.floor(Math.log2(n));
  const step = pow / 4;
  return Math.ceil(n / step) * step;
}

export interface PoolStats {
  liveBuffers: number;
  liveBytes: number;
  freeBuffers: number;
  freeBytes: number;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private liveBytes = 0;
  private freeBytes = 0;
  private freeCount = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxFreeBytes = DEFAULT_MAX_FREE_BYTES,
    /**
     * Destroys a buffer the pool lets go. A released buffer may still be bound by dispatches that
     * are recorded but not yet submitted, and submitting a destroyed buffer fails the whole batch
     * (silently, outside an error scope), so the engine defers this until they are submitted.
     */
    private readonly retire: (buffer: GPUBuffer) => void = (buffer) => buffer.destroy(),
  ) {}

  acquire(bytes: number, label: string): GPUBuffer {
    // A size class past the device's limits (which need not be powers of two) would fail where the
    // exact size fits; such a buffer gets the exact size instead.
    const { maxBufferSize, maxStorageBufferBindingSize } = this.device.limits;
    const exact = Math.max(MIN_BYTES, Math.ceil(bytes / 4) * 4);
    const size = Math.max(exact, Math.min(sizeClass(bytes), maxBufferSize, maxStorageBufferBindingSize));
    const bucket = this.free.get(size);
    let buffer = bucket?.pop();
    if (buffer) {
      this.freeBytes -= size;
      this.freeCount--;
      buffer.label = label;
    } else {
      buffer = this.device.createBuffer({ label, size, usage: usage() });
    }
    this.live.add(buffer);
    this.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    this.liveBytes -= buffer.size;
    if (this.freeBytes + buffer.size > this.maxFreeBytes) {
      this.retire(buffer);
      return;
    }
    let bucket = this.free.get(buffer.size);
    if (!bucket) this.free.set(buffer.size, (bucket = []));
    bucket.push(buffer);
    this.freeBytes += buffer.size;
    this.freeCount++;
  }

  /** Whether `buffer` is one this pool handed out and has not been given back. */
  owns(buffer: GPUBuffer): boolean {
    return this.live.has(buffer);
  }

  stats(): PoolStats {
    return { liveBuffers: this.live.size, liveBytes: this.liveBytes, freeBuffers: this.freeCount, freeBytes: this.freeBytes };
  }

  /** Destroys the free buffers (live ones stay with their tensors). */
  trim(): void {
    for (const bucket of this.free.values()) for (const b of bucket) this.retire(b);
    this.free.clear();
    this.freeBytes = 0;
    this.freeCount = 0;
  }

  /** With the engine: nothing recorded will be submitted, so every buffer goes now. */
  destroyAll(): void {
    for (const bucket of this.free.values()) for (const b of bucket) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
    this.freeCount = 0;
    for (const b of this.live) b.destroy();
    this.live.clear();
    this.liveBytes = 0;
  }
}
