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

const CLASSES: Record<string, LayerClass> = {
  Conv2D, DepthwiseConv2D, SeparableConv2D,
  MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
  BatchNormalization, Dense, Flatten, Reshape, Dropout, InputLayer,
  Activation, ReLU, LeakyReLU, ZeroPadding2D, Add, Concatenate, Rescaling,
  ...ONNX_LAYER_CLASSES,
};

const ALIASES: Record<string, string> = {
  Convolution2D: 'Conv2D', SeparableConvolution2D: 'SeparableConv2D',
  MaxPool2D: 'MaxPooling2D', AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D', GlobalMaxPool2D: 'GlobalMaxPooling2D',
};

/** The class names a model may use. */
export const SUPPORTED_LAYERS: readonly string[] = Object.keys(CLASSES);

/** Builds an unbuilt layer of `className` from its Keras config (which must carry `name`). */
export function createLayer(engine: Engine, className: string, config: LayerConfig): Layer {
  const cls = CLASSES[ALIASES[className] ?? className];
  if (!cls || !Object.hasOwn(CLASSES, ALIASES[className] ?? className)) {
    const name = typeof config?.name === 'string' ? `'${config.name}' ` : '';
    throw new CnnError('model', `layer ${name}has the unsupported class ${JSON.stringify(className)} (supported: ${SUPPORTED_LAYERS.join(', ')})`);
  }
  return new cls(engine, config);
}
