/**
 * Compute pipelines compiled once per shader variant. The key is the shader, the entry point and the
 * override constants it was specialised with, so every variant compiles exactly once per device.
 *
 * Layouts are explicit, built from the reflected bindings, rather than 'auto': the uniform binding
 * takes a dynamic offset, so the scheduler can keep one bind group per (pipeline, buffers) across
 * batches and only move the offset into the batch's uniform arena.
 */
import type { EntryPoint, Shader } from './shader.js';

export type Constants = Record<string, number>;

export interface CompiledPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Unique per layout: bind groups made for it can be shared by every pipeline using it. */
  layoutId: number;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, CompiledPipeline>();
  private readonly modules = new Map<Shader, GPUShaderModule>();
  private readonly layouts = new Map<string, { layout: GPUBindGroupLayout; pipelineLayout: GPUPipelineLayout; id: number }>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(shader: Shader, entry: string, constants: Constants = {}): CompiledPipeline {
    const key = pipelineKey(shader, entry, constants);
    let compiled = this.pipelines.get(key);
    if (!compiled) {
      let module = this.modules.get(shader);
      if (!module) {
        module = this.device.createShaderModule({ label: shader.key, code: shader.code });
        this.modules.set(shader, module);
      }
      const layout = this.layoutOf(shader, entry);
      const pipeline = this.device.createComputePipeline({
        label: key,
        layout: layout.pipelineLayout,
        compute: { module, entryPoint: entry, constants },
      });
      compiled = { pipeline, layout: layout.layout, layoutId: layout.id };
      this.pipelines.set(key, compiled);
    }
    return compiled;
  }

  private layoutOf(shader: Shader, entry: string) {
    const key = `${shader.key}.${entry}`;
    let found = this.layouts.get(key);
    if (!found) {
      const layout = this.device.createBindGroupLayout({ label: key, entries: layoutEntries(shader.entry(entry)) });
      const pipelineLayout = this.device.createPipelineLayout({ label: key, bindGroupLayouts: [layout] });
      found = { layout, pipelineLayout, id: this.layouts.size };
      this.layouts.set(key, found);
    }
    return found;
  }
}

function layoutEntries(ep: EntryPoint): GPUBindGroupLayoutEntry[] {
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (const binding of ep.storage.values()) {
    entries.push({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: ep.readOnly.has(binding) ? 'read-only-storage' : 'storage' } });
  }
  if (ep.uniform) {
    entries.push({ binding: ep.uniform.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: ep.uniform.size } });
  }
  return entries;
}

export function pipelineKey(shader: Shader, entry: string, constants: Constants): string {
  const spec = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`)
    .join(',');
  return `${shader.key}.${entry}${spec ? `[${spec}]` : ''}`;
}
