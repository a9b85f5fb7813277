/**
 * What the layers an ONNX graph is made of share: configs written by the importer (src/io/onnx),
 * read back with light checks, and the steps that move a tensor between layouts. Every layer here
 * computes through `Ops`, so an imported network infers on the engine and trains on a tape.
 *
 * Shapes in configs leave out the batch dimension, as every layer's do; a transpose permutation
 * covers the whole rank (its first entry is 0: the batch stays first).
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { fail, shapeStr } from '../../../errors.js';
import { Layer, release, type LayerConfig, type Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';

/** One step of a layout change: a reshape to a shape without the batch dim, or a transpose of every dim. */
export type LayoutStep = { reshape: number[] } | { transpose: number[] };

export abstract class OnnxLayer extends Layer {
  constructor(engine: Engine, className: string, config: LayerConfig) {
    super(engine, className, config);
  }

  /** The ONNX operator this layer computes (for display), e.g. 'Conv'. */
  get opType(): string {
    return typeof this.config.op_type === 'string' ? this.config.op_type : this.className;
  }

  /** A list of integers from the config. */
  protected ints(key: string, dflt?: number[]): number[] {
    const v = this.config[key] ?? dflt;
    if (!Array.isArray(v) || v.some((d) => !Number.isInteger(d))) this.fail(`${key} must be a list of integers, got ${JSON.stringify(v)}`);
    return v as number[];
  }

  /** [[before, after], ...] pairs of non-negative integers. */
  protected pairs(key: string): [number, number][] {
    const v = this.config[key];
    if (!Array.isArray(v) || v.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((d: unknown) => !Number.isInteger(d) || (d as number) < 0))) {
      this.fail(`${key} must be a list of [before, after] pairs of non-negative integers, got ${JSON.stringify(v)}`);
    }
    return v as [number, number][];
  }

  protected steps(key = 'steps'): LayoutStep[] {
    const v = this.config[key] ?? [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'object' || s === null || (!Array.isArray(s.reshape) && !Array.isArray(s.transpose)))) {
      this.fail(`${key} must be a list of {reshape} or {transpose} steps, got ${JSON.stringify(v)}`);
    }
    return v as LayoutStep[];
  }
}

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** The shape (without batch) after applying `steps` to a tensor of shape `input` (without batch); throws on a mismatch. */
export function shapeAfterSteps(input: Shape, steps: readonly LayoutStep[]): number[] {
  let shape = [...input];
  for (const s of steps) {
    if ('reshape' in s) {
      if (size(s.reshape) !== size(shape)) fail('onnx layout', `cannot reshape [batch, ${shape.join(', ')}] to [batch, ${s.reshape.join(', ')}]`);
      shape = [...s.reshape];
    } else {
      const full = [1, ...shape];
      if (s.transpose.length !== full.length || s.transpose[0] !== 0 || new Set(s.transpose).size !== full.length) {
        fail('onnx layout', `transpose ${shapeStr(s.transpose)} does not fit [batch, ${shape.join(', ')}] (it must keep the batch dim first)`);
      }
      shape = s.transpose.slice(1).map((k) => full[k]!);
    }
  }
  return shape;
}

/** Applies the steps through `ops`; returns `x` itself when there are none. */
export function applySteps(ops: Ops, x: Tensor, steps: readonly LayoutStep[]): Tensor {
  let y = x;
  for (const s of steps) {
    const next = 'reshape' in s ? ops.reshape(y, [y.shape[0]!, ...s.reshape]) : ops.transpose(y, s.transpose);
    if (y !== x) release(ops, y);
    y = next;
  }
  return y;
}
