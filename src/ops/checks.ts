/** Argument checks shared by the ops: each names the op, the argument and its shape. */
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';

/** Fails unless `t` is a live tensor (and, when given, of rank `rank`). */
export function checkTensor(op: string, name: string, t: unknown, rank?: number): asserts t is Tensor {
  if (!(t instanceof Tensor)) fail(op, `${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.isDisposed) fail(op, `${name} (shape ${shapeStr(t.shape)}) was used after dispose()`);
  if (rank !== undefined && t.rank !== rank) fail(op, `${name} must have rank ${rank}, got shape ${shapeStr(t.shape)}`);
}

/** Fails unless `shape` is an array of `rank` non-negative integers. */
export function checkShapeArg(op: string, name: string, shape: unknown, rank: number): asserts shape is number[] {
  if (!Array.isArray(shape) || shape.length !== rank || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    fail(op, `${name} must be ${rank} non-negative integers, got ${Array.isArray(shape) ? shapeStr(shape) : String(shape)}`);
  }
}

/** Splits a 1-D count of invocations into a 2-D grid that respects the 65,535-per-dimension limit. */
export function grid1d(invocations: number, workgroupSize: number): [number, number] {
  const groups = Math.ceil(invocations / workgroupSize);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
