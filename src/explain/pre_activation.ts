/**
 * A layer's output before its activation, recomputed from its input, its weights and its Keras
 * config. Feature visualisation maximises a channel there (as Lucid's "pre_relu" objectives do):
 * a ReLU unit that is off passes no gradient, and the grey image optimisation starts from turns
 * most units of a digit network off, so ascent on the activation itself would never start.
 */
import type { Tensor } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import type { Ops } from '../nn/ops_like.js';

/** How to compute `layer`'s pre-activation from its input, or null where there is nothing to strip (or the layer is not one of these). */
export function preActivation(layer: Layer): ((ops: Ops, input: Tensor) => Tensor) | null {
  const cfg = layer.config;
  const weight = (short: string) => layer.weights.find((w) => w.name === `${layer.name}/${short}`)?.tensor ?? null;
  const window = () => ({
    strides: cfg.strides as [number, number],
    pad: cfg.padding as 'same' | 'valid',
    dilations: cfg.dilation_rate as [number, number],
  });
  const activation = cfg.activation ?? 'linear';
  switch (layer.className) {
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU':
      return (_ops, input) => input;
    case 'Conv2D':
      if (activation === 'linear' || (cfg.groups ?? 1) !== 1) return null;
      return (ops, input) => ops.conv2d(input, weight('kernel')!, { ...window(), bias: weight('bias') });
    case 'DepthwiseConv2D':
      if (activation === 'linear') return null;
      return (ops, input) => ops.depthwiseConv2d(input, weight('depthwise_kernel')!, { ...window(), bias: weight('bias') });
    case 'SeparableConv2D':
      if (activation === 'linear') return null;
      return (ops, input) => ops.conv2d(ops.depthwiseConv2d(input, weight('depthwise_kernel')!, window()), weight('pointwise_kernel')!, { pad: 'valid', bias: weight('bias') });
    case 'Dense':
      if (activation === 'linear' || layer.inputShapes[0]!.length !== 1) return null;
      return (ops, input) => ops.matMul(input, weight('kernel')!, { bias: weight('bias') });
  }
  return null;
}
