/**
 * Bad-input checks that also hold the engine to its memory: a call that throws must leave
 * memory() as it found it (live buffers and their bytes), so a page retrying a bad call does not
 * leak a GPU buffer each time.
 */
import { expect } from '@esm-bundle/chai';
import { CnnError } from '../../src/errors.js';
import type { Engine } from '../../src/engine.js';

/** `call` throws a CnnError whose message matches `message`, and `e` holds what it held before. */
export function expectThrowsNoLeak(e: Engine, call: () => unknown, message: RegExp): CnnError {
  const before = e.memory();
  let thrown: unknown = null;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected a CnnError matching ${message}`).to.be.instanceOf(CnnError);
  expect((thrown as CnnError).message).to.match(message);
  const after = e.memory();
  expect({ buffers: after.buffers, bytes: after.bytes }, `memory() after: ${(thrown as CnnError).message}`).to.deep.equal({ buffers: before.buffers, bytes: before.bytes });
  return thrown as CnnError;
}

/**
 * The promise `call()` returns rejects with a CnnError whose message matches `message`, and once
 * the GPU has finished what was queued, `e` holds what it held before the call.
 */
export async function expectRejectsNoLeak(e: Engine, call: () => Promise<unknown>, message: RegExp): Promise<CnnError> {
  const before = e.memory();
  let thrown: unknown = null;
  try {
    await call();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected a rejection with a CnnError matching ${message}`).to.be.instanceOf(CnnError);
  expect((thrown as CnnError).message).to.match(message);
  await e.sync();
  const after = e.memory();
  expect({ buffers: after.buffers, bytes: after.bytes }, `memory() after: ${(thrown as CnnError).message}`).to.deep.equal({ buffers: before.buffers, bytes: before.bytes });
  return thrown as CnnError;
}
