/**
 * What a training step's correctness check compares: the loss, then every parameter's gradient
 * recovered from one SGD update, (before − after) / learningRate, in LENET_PARAMS order and the
 * canonical layouts. Engines differ in how they expose gradients; all of them expose parameters.
 */
import { LENET_PARAMS } from '../data.js';
import type { CaseInputs } from '../types.js';

export function trainOutput(loss: number, before: CaseInputs, after: Record<string, ArrayLike<number>>, learningRate: number): Float32Array {
  const parts: number[] = [loss];
  for (const name of LENET_PARAMS) {
    const b = before[name]!.data;
    const a = after[name]!;
    for (let i = 0; i < b.length; i++) parts.push((b[i]! - a[i]!) / learningRate);
  }
  return Float32Array.from(parts);
}
