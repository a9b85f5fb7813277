/**
 * Compute pipelines compiled once per shader variant. The key is the shader, the entry point and the
 * override constants it was specialised with, so every variant compiles exactly once per device.
 */
import type { Shader } from './shader.js';

export type Constants = Record<string, number>;

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<Shader, GPUShaderModule>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(shader: Shader, entry: string, constants: Constants = {}): GPUComputePipeline {
    const key = pipelineKey(shader, entry, constants);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(shader);
      if (!module) {
        module = this.device.createShaderModule({ label: shader.key, code: shader.code });
        this.modules.set(shader, module);
      }
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint: entry, constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}

export function pipelineKey(shader: Shader, entry: string, constants: Constants): string {
  const spec = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`)
    .join(',');
  return `${shader.key}.${entry}${spec ? `[${spec}]` : ''}`;
}
