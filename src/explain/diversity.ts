/**
 * The diversity term of feature visualisation (Olah et al., 2017, "Diversity"): several images
 * optimised for one objective tend to the same picture; penalising how alike their styles are at a
 * layer (the cosine similarity of each pair's Gram matrices, as in style transfer) pushes them
 * apart, so a batch shows the different things a unit responds to.
 */
import type { Tensor } from '../tensor.js';
import type { Ops } from '../nn/ops_like.js';

/**
 * The mean cosine similarity, over the pairs of images, of their Gram matrices at layer output a
 * [n, h, w, c] (or [n, c]): 0 for images whose channels co-occur in unrelated ways, 1 for the same
 * style. A scalar tensor made through `ops`; n must be at least 2.
 */
export function gramSimilarity(ops: Ops, a: Tensor): Tensor {
  const n = a.shape[0]!;
  const c = a.shape[a.shape.length - 1]!;
  const positions = a.size / (n * c);
  const grams: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const rows = ops.reshape(ops.slice(a, [i, ...a.shape.slice(1).map(() => 0)], [1, ...a.shape.slice(1)]), [positions, c]);
    grams.push(ops.reshape(ops.matMul(rows, rows, { transposeA: true }), [1, c * c]));
  }
  const g = ops.concat(grams, 0);
  const unit = ops.div(g, ops.reshape(ops.sqrt(ops.add(ops.sum(ops.square(g), [1]), 1e-12)), [n, 1]));
  const s = ops.matMul(unit, unit, { transposeB: true }); // [n, n], ones on the diagonal
  return ops.div(ops.sub(ops.sum(s), n), n * (n - 1));
}
