/**
 * Records GPU work and submits it in batches. Dispatches are kept as plain records until a flush,
 * when their uniforms are packed into one buffer, their bind groups made, and all of them encoded
 * into one compute pass: one `writeBuffer` and one `submit` per batch instead of per op. Uploads go
 * into the same stream as copies from staging buffers, so a pooled buffer reused within a batch is
 * never overwritten ahead of the work that still reads it.
 */
import type { PipelineCache, Constants, CompiledPipeline } from './pipeline_cache.js';
import { fail } from '../errors.js';
import { packUniforms, type Shader, type UniformValues } from './shader.js';

/** Flushing this often bounds the memory a long unsynchronised loop of ops can hold in records. */
const MAX_PENDING = 256;
/**
 * Bind groups kept for reuse. A loop of ops binds the same pooled buffers call after call, so
 * making each group once saves a WebGPU object per dispatch; the oldest go first past this many.
 */
const MAX_BIND_GROUPS = 4096;

interface Dispatch {
  kind: 'dispatch';
  compiled: CompiledPipeline;
  bindings: { binding: number; buffer: GPUBuffer }[];
  uniform: { binding: number; bytes: Uint8Array } | null;
  workgroups: [number, number, number];
}

type Command = Dispatch | Copy | Clear;

interface Copy {
  kind: 'copy';
  src: GPUBuffer;
  dst: GPUBuffer;
  size: number;
}

interface Clear {
  kind: 'clear';
  dst: GPUBuffer;
  size: number;
}

export interface DispatchRequest {
  shader: Shader;
  entry: string;
  constants?: Constants;
  /** Storage buffers by the WGSL variable name. */
  buffers: Record<string, GPUBuffer>;
  /** Uniform struct fields by name. */
  params?: UniformValues;
  workgroups: readonly [number, number?, number?];
}

/** What a dispatch observer sees of each dispatch as it is recorded. */
export interface DispatchRecord {
  /** The shader file's base name (plus its specialisation, e.g. `pool<lanes=4>`). */
  shader: string;
  /** The WGSL entry point. */
  entry: string;
  /** Override constants it was specialised with. */
  constants: Readonly<Constants>;
  workgroups: readonly [number, number, number];
  /**
   * Bytes of the storage buffers bound (each buffer's whole size, counted once: a kernel's unused
   * optional inputs are bound to a buffer it already has).
   */
  bytesBound: number;
}

export type DispatchObserver = (record: DispatchRecord) => void;

export class Scheduler {
  private readonly observers = new Set<DispatchObserver>();
  private pending: Command[] = [];
  private afterSubmit: (() => void)[] = [];
  private uniformBuffer: GPUBuffer | null = null;
  /** Bumped when the uniform arena is replaced, so groups bound to the old one are not reused. */
  private arenaGeneration = 0;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private readonly uniformAlign: number;
  private readonly maxWorkgroups: number;
  /** Number of dispatches recorded since the engine started. */
  dispatchCount = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
  ) {
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Bind groups kept for reuse (bounded; see MAX_BIND_GROUPS). */
  get cachedBindGroups(): number {
    return this.bindGroups.size;
  }

  dispatch(req: DispatchRequest): void {
    const ep = req.shader.entry(req.entry);
    const workgroups: [number, number, number] = [req.workgroups[0], req.workgroups[1] ?? 1, req.workgroups[2] ?? 1];
    if (workgroups.some((n) => n > this.maxWorkgroups)) {
      fail(`${req.shader.name}.${req.entry}`, `a dispatch of ${workgroups.join('×')} workgroups exceeds the adapter's ${this.maxWorkgroups} per dimension`);
    }
    if (workgroups.some((n) => n === 0)) return;
    const bindings: Dispatch['bindings'] = [];
    for (const [name, binding] of ep.storage) {
      const buffer = req.buffers[name];
      if (!buffer) fail(`${req.shader.name}.${req.entry}`, `no buffer given for binding '${name}'`);
      bindings.push({ binding, buffer });
    }
    let uniform: Dispatch['uniform'] = null;
    if (ep.uniform) {
      const bytes = new Uint8Array(ep.uniform.size);
      packUniforms(req.shader.name, ep, req.params ?? {}, new DataView(bytes.buffer), 0);
      uniform = { binding: ep.uniform.binding, bytes };
    }
    const compiled = this.pipelines.get(req.shader, req.entry, req.constants);
    this.pending.push({ kind: 'dispatch', compiled, bindings, uniform, workgroups });
    this.dispatchCount++;
    if (this.observers.size > 0) {
      const record: DispatchRecord = {
        shader: req.shader.key, entry: req.entry, constants: { ...(req.constants ?? {}) }, workgroups,
        bytesBound: [...new Set(bindings.map((b) => b.buffer))].reduce((n, b) => n + b.size, 0),
      };
      for (const observe of this.observers) observe(record);
    }
    if (this.pending.length >= MAX_PENDING) this.flush();
  }

  /**
   * Calls `observer` with every dispatch recorded from now on (benchmarks and profiling traces
   * use this); returns the function that stops it.
   */
  observe(observer: DispatchObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Queues an upload of `data` into `dst`, ordered with the recorded dispatches. */
  upload(dst: GPUBuffer, data: Float32Array): void {
    if (data.byteLength === 0) return;
    const staging = this.device.createBuffer({
      label: `upload→${dst.label}`,
      size: Math.ceil(data.byteLength / 4) * 4,
      usage: GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
    });
    new Float32Array(staging.getMappedRange()).set(data);
    staging.unmap();
    this.pending.push({ kind: 'copy', src: staging, dst, size: data.byteLength });
    this.afterSubmit.push(() => staging.destroy());
  }

  /**
   * Destroys `buffer` once the work recorded so far, which may bind it, is submitted (at once when
   * nothing is waiting): a destroyed buffer in a submitted batch would fail the whole batch.
   */
  retire(buffer: GPUBuffer): void {
    if (this.pending.length === 0) buffer.destroy();
    else this.afterSubmit.push(() => buffer.destroy());
  }

  copy(src: GPUBuffer, dst: GPUBuffer, size: number): void {
    if (size > 0) this.pending.push({ kind: 'copy', src, dst, size });
  }

  /** Queues zeroing the first `size` bytes (a multiple of 4) of `dst`, ordered with the dispatches. */
  clear(dst: GPUBuffer, size: number): void {
    if (size > 0) this.pending.push({ kind: 'clear', dst, size });
  }

  /** Encodes and submits everything recorded so far. */
  flush(): void {
    if (this.pending.length === 0) return;
    const work = this.pending;
    this.pending = [];
    const uniformBuffer = this.writeUniforms(work);
    const encoder = this.device.createCommandEncoder({ label: 'cnn-webgpu batch' });
    let pass: GPUComputePassEncoder | null = null;
    let uniformOffset = 0;
    for (const cmd of work) {
      if (cmd.kind !== 'dispatch') {
        pass?.end();
        pass = null;
        if (cmd.kind === 'copy') encoder.copyBufferToBuffer(cmd.src, 0, cmd.dst, 0, cmd.size);
        else encoder.clearBuffer(cmd.dst, 0, cmd.size);
        continue;
      }
      pass ??= encoder.beginComputePass({ label: 'cnn-webgpu ops' });
      pass.setPipeline(cmd.compiled.pipeline);
      if (cmd.uniform && uniformBuffer) {
        pass.setBindGroup(0, this.bindGroup(cmd, uniformBuffer), [uniformOffset]);
        uniformOffset += this.alignUp(cmd.uniform.bytes.byteLength);
      } else {
        pass.setBindGroup(0, this.bindGroup(cmd, null));
      }
      pass.dispatchWorkgroups(...cmd.workgroups);
    }
    pass?.end();
    this.device.queue.submit([encoder.finish()]);
    const after = this.afterSubmit;
    this.afterSubmit = [];
    for (const f of after) f();
  }

  /** The group binding `cmd`'s buffers (and the arena at a dynamic offset), made once per combination. */
  private bindGroup(cmd: Dispatch, arena: GPUBuffer | null): GPUBindGroup {
    let key = `${cmd.compiled.layoutId}:${arena ? this.arenaGeneration : '-'}`;
    for (const b of cmd.bindings) key += `,${b.binding}=${this.bufferId(b.buffer)}`;
    let group = this.bindGroups.get(key);
    if (group) {
      // Refresh its place in the eviction order.
      this.bindGroups.delete(key);
      this.bindGroups.set(key, group);
      return group;
    }
    const entries: GPUBindGroupEntry[] = cmd.bindings.map((b) => ({ binding: b.binding, resource: { buffer: b.buffer } }));
    if (cmd.uniform && arena) entries.push({ binding: cmd.uniform.binding, resource: { buffer: arena, offset: 0, size: cmd.uniform.bytes.byteLength } });
    group = this.device.createBindGroup({ label: cmd.compiled.pipeline.label, layout: cmd.compiled.layout, entries });
    this.bindGroups.set(key, group);
    if (this.bindGroups.size > MAX_BIND_GROUPS) this.bindGroups.delete(this.bindGroups.keys().next().value!);
    return group;
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  destroy(): void {
    this.bindGroups.clear();
    this.pending = [];
    for (const f of this.afterSubmit) f();
    this.afterSubmit = [];
    this.uniformBuffer?.destroy();
    this.uniformBuffer = null;
  }

  private alignUp(n: number): number {
    return Math.ceil(n / this.uniformAlign) * this.uniformAlign;
  }

  /** Packs every dispatch's uniforms into one buffer, written once before the batch's submit. */
  private writeUniforms(work: Command[]): GPUBuffer | null {
    let total = 0;
    for (const cmd of work) if (cmd.kind === 'dispatch' && cmd.uniform) total += this.alignUp(cmd.uniform.bytes.byteLength);
    if (total === 0) return null;
    if (!this.uniformBuffer || this.uniformBuffer.size < total) {
      // The old buffer may still be read by submitted work; destroy() defers until that finishes.
      this.uniformBuffer?.destroy();
      this.arenaGeneration++;
      this.uniformBuffer = this.device.createBuffer({
        label: 'cnn-webgpu uniforms',
        size: Math.max(total, 64 * 1024),
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
    }
    const arena = new Uint8Array(total);
    let offset = 0;
    for (const cmd of work) {
      if (cmd.kind !== 'dispatch' || !cmd.uniform) continue;
      arena.set(cmd.uniform.bytes, offset);
      offset += this.alignUp(cmd.uniform.bytes.byteLength);
    }
    this.device.queue.writeBuffer(this.uniformBuffer, 0, arena);
    return this.uniformBuffer;
  }
}
