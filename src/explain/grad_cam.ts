/**
 * Grad-CAM (Selvaraju et al., 2017): a layer's channels A_c weighted by α_c, the spatial mean of
 * d target / d A_c, summed and passed through a ReLU, so the map shows where the layer's features
 * raise the target. The layer's output is taken as the model computes it (after the layer's
 * activation), as the Keras and tf-explain implementations do.
 */
import type { Tensor } from '../tensor.js';
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import type { Layer } from '../nn/layer.js';
import { convLayers } from '../inspect/filters.js';
import { namedLayer, resolveTarget, type Target } from './target.js';
import { checkInput, groupMajorImages, targetPass } from './pass.js';

export interface GradCamOptions {
  target: Target;
  /** The layer whose output is weighted (default: the last convolution layer, the usual choice). */
  layer?: string;
}

/**
 * The map ReLU(Σ_c α_c A_c), one per image: a tensor [n, h_l, w_l] the caller disposes.
 * @example
 * const cam = await explain.gradCam(model, x, { target: { class: 3 }, layer: 'conv2' }); // [1, 8, 8]
 */
export async function gradCam(model: Model, x: Tensor, opts: GradCamOptions): Promise<Tensor> {
  const op = 'explain.gradCam';
  checkInput(op, model, x);
  const layer = camLayer(op, model, opts?.layer);
  const n = x.shape[0]!;
  const target = resolveTarget(op, model, opts.target, n);
  const engine = model.engine;
  try {
    return targetPass(model, x, target, { imageOf: groupMajorImages(1, n), wrt: (acts) => [acts.outputs.get(layer.name)!] }, (p) => {
      const a = p.acts.outputs.get(layer.name)!;
      const c = a.shape[3]!;
      const made: Tensor[] = [];
      try {
        const mean = engine.mean(p.grads[0]!, [1, 2]);
        made.push(mean);
        const alpha = engine.reshape(mean, [n, 1, 1, c]);
        made.push(alpha);
        const weighted = engine.mul(a, alpha);
        made.push(weighted);
        const sum = engine.sum(weighted, [3]);
        made.push(sum);
        return engine.relu(sum); // [n, h, w]
      } finally {
        for (const t of made) t.dispose();
      }
    });
  } finally {
    target.dispose();
  }
}

/** The named layer, which must output [h, w, c]; by default the model's last convolution layer. */
function camLayer(op: string, model: Model, name: string | undefined): Layer {
  let layer: Layer;
  if (name === undefined) {
    const convs = convLayers(model);
    if (!convs.length) throw new CnnError(op, `model '${model.name}' has no convolution layer; name the layer to use`);
    layer = convs[convs.length - 1]!;
  } else {
    layer = namedLayer(op, model, name);
  }
  if (layer.outputShape.length !== 3) {
    throw new CnnError(op, `Grad-CAM needs a layer with an [h, w, c] output; layer '${layer.name}' outputs [batch, ${layer.outputShape.join(', ')}]`);
  }
  return layer;
}
