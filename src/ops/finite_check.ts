/** Marks, on the GPU, the first step whose scalar loss is not finite (shaders/finite_check.wgsl). */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail } from '../errors.js';
import { checkTensor } from './checks.js';
import source from '../../shaders/finite_check.wgsl';

const shader = new Shader('finite_check', source);

/** `flag` is a 1-element tensor created with zeros; it ends holding the first failing step + 1 (as bits). */
export function recordNonFinite(engine: Engine, loss: Tensor, flag: Tensor, step: number): void {
  checkTensor('recordNonFinite', 'loss', loss);
  checkTensor('recordNonFinite', 'flag', flag);
  if (loss.size < 1 || flag.size < 1) fail('recordNonFinite', 'loss and flag must hold at least one value');
  engine.run({ shader, entry: 'record_non_finite', buffers: { loss: loss.buffer, flag: flag.buffer }, params: { step }, workgroups: [1] });
}

/** Decodes the flag tensor's value: the failing step, or -1 when every loss was finite. */
export function decodeFlag(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, 1)[0]!;
  return bits === 0 ? -1 : bits - 1;
}
