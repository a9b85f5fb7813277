/**
 * The ops a layer may call. The engine implements them for inference; a `Tape` implements them
 * too, recording each call so that `backward()` can run the chain rule. A layer written against
 * `Ops` therefore trains and infers with the same code. The list is the op table's
 * differentiable entries (src/ops/table.ts) plus the two leaves.
 */
import type { Tensor } from '../tensor.js';
import type { TapeOps } from '../ops/table.js';

export type Ops = TapeOps & {
  tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor;
  zeros(shape: readonly number[]): Tensor;
};
