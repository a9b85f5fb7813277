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

/** NaN and ±Infinity exactly where the oracle has them, and the finite values close to it. */
export function expectSameNonFinite(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  const kind = (v: number) => (Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'finite' : v > 0 ? 'Infinity' : '-Infinity');
  const wrong: string[] = [];
  const got: number[] = [];
  const want: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (kind(actual[i]!) !== kind(expected[i]!)) wrong.push(`[${i}] ${actual[i]} (expected ${expected[i]})`);
    else if (Number.isFinite(expected[i]!)) {
      got.push(actual[i]!);
      want.push(expected[i]!);
    }
  }
  expect(wrong, `${what}: ${wrong.length} of ${expected.length} outputs non-finite where TF.js is not, or the reverse`).to.deep.equal([]);
  expectClose(got, want, `${what}: the finite outputs`);
}
