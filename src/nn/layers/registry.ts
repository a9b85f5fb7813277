/**
 * Layer classes by their Keras class name (and the aliases Keras accepts for them), and a factory
 * that refuses any other class with an error naming the layer.
 */
import type { Engine } from '../../engine.js';
import { CnnError } from '../../errors.js';
import type { Layer, LayerConfig } from '../layer.js';
import { Conv2D, DepthwiseConv2D, SeparableConv2D } from './conv.js';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from './pooling.js';
import { BatchNormalization } from './normalization.js';
import { Dense, Dropout, Flatten, InputLayer, Reshape } from './core.js';
import { Activation, LeakyReLU, ReLU } from './activation.js';
import { ZeroPadding2D } from './padding.js';
import { Add, Concatenate } from './merge.js';
import { Rescaling } from './preprocessing.js';
import { ONNX_LAYER_CLASSES } from './onnx/index.js';

type LayerClass = new (engine: Engine, config: LayerConfig) => Layer;

// Maps, not object literals: a class name from a file such as 'constructor' must not find Object's.
const CLASSES = new Map<string, LayerClass>(Object.entries({
  Conv2D, DepthwiseConv2D, SeparableConv2D,
  MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
  BatchNormalization, Dense, Flatten, Reshape, Dropout, InputLayer,
  Activation, ReLU, LeakyReLU, ZeroPadding2D, Add, Concatenate, Rescaling,
  ...ONNX_LAYER_CLASSES,
}));

const ALIASES = new Map<string, string>(Object.entries({
  Convolution2D: 'Conv2D', SeparableConvolution2D: 'SeparableConv2D',
  MaxPool2D: 'MaxPooling2D', AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D', GlobalMaxPool2D: 'GlobalMaxPooling2D',
}));

/** The class names a model may use. */
export const SUPPORTED_LAYERS: readonly string[] = [...CLASSES.keys()];

/** Builds an unbuilt layer of `className` from its Keras config (which must carry `name`). */
export function createLayer(engine: Engine, className: string, config: LayerConfig): Layer {
  const cls = CLASSES.get(ALIASES.get(className) ?? className);
  if (!cls) {
    const name = typeof config?.name === 'string' ? `'${config.name}' ` : '';
    throw new CnnError('model', `layer ${name}has the unsupported class ${JSON.stringify(className)} (supported: ${SUPPORTED_LAYERS.join(', ')})`);
  }
  return new cls(engine, config);
}
