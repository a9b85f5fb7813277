/** Comparison of engine output against an oracle by relative L2 error. */
import { expect } from '@esm-bundle/chai';

export const REL_TOL = 1e-4;

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i]! - expected[i]!;
    num += d * d;
    den += expected[i]! * expected[i]!;
  }
  if (den === 0) return Math.sqrt(num);
  return Math.sqrt(num / den);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = REL_TOL): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i]!)) throw new Error(`${what}: value ${actual[i]} at index ${i}`);
  }
  const err = relativeError(actual, expected);
  expect(err, `${what}: ‖out − ref‖/‖ref‖`).to.be.at.most(tol);
}

export function expectShape(shape: readonly number[], expected: readonly number[], what: string): void {
  expect([...shape], `${what}: shape`).to.deep.equal([...expected]);
}
