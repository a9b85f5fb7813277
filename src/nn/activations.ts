/**
 * The activations a layer's `activation` field (or an Activation layer) may name, applied through
 * ops. 'linear' returns its input itself: callers must not dispose an input they passed.
 */
import type { Tensor } from '../tensor.js';
import type { Ops } from './ops_like.js';
import type { EpilogueOptions } from '../ops/epilogue.js';
import { CnnError } from '../errors.js';

export type ActivationName = 'linear' | 'relu' | 'relu6' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'softmax';

// A Map, not an object literal: a name from a file such as 'constructor' must not find Object's.
const NAMES = new Map<string, ActivationName>([
  ['linear', 'linear'], ['relu', 'relu'], ['relu6', 'relu6'], ['leaky_relu', 'leaky_relu'], ['leakyRelu', 'leaky_relu'],
  ['sigmoid', 'sigmoid'], ['tanh', 'tanh'], ['softmax', 'softmax'],
]);

/** Keras's `leaky_relu` activation function slope (the LeakyReLU layer's default, 0.3, differs). */
const LEAKY_RELU_ACTIVATION_ALPHA = 0.2;

/** The canonical name, or a CnnError of `op` (a layer passes its label) naming what was asked and what exists. */
export function parseActivation(value: unknown, op = 'activation'): ActivationName {
  if (value === undefined || value === null) return 'linear';
  const name = typeof value === 'string' ? NAMES.get(value) : undefined;
  if (!name) {
    throw new CnnError(op, `activation ${JSON.stringify(value)} is not supported (supported: ${[...NAMES.keys()].filter((n) => n !== 'leakyRelu').join(', ')})`);
  }
  return name;
}

/** The activation to apply when a caller asked for logits: a final softmax is left out. */
export function logitsActivation(name: ActivationName, logits: boolean): ActivationName {
  return logits && name === 'softmax' ? 'linear' : name;
}

export function applyActivation(ops: Ops, x: Tensor, name: ActivationName): Tensor {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return ops.relu(x);
    case 'relu6':
      return ops.unary('relu6', x);
    case 'leaky_relu':
      return ops.leakyRelu(x, LEAKY_RELU_ACTIVATION_ALPHA);
    case 'sigmoid':
      return ops.sigmoid(x);
    case 'tanh':
      return ops.tanh(x);
    case 'softmax':
      return ops.softmax(x);
  }
}

/**
 * How a layer with a bias and this activation runs as one kernel: the part the conv or matMul
 * kernel applies as it writes (`epilogue`), and what is left to apply after it (`rest`: softmax,
 * which needs a whole row, or 'linear').
 */
export function splitActivation(name: ActivationName): { epilogue: Pick<EpilogueOptions, 'activation' | 'leakyreluAlpha'>; rest: ActivationName } {
  switch (name) {
    case 'softmax':
    case 'linear':
      return { epilogue: {}, rest: name };
    case 'leaky_relu':
      return { epilogue: { activation: 'leakyRelu', leakyreluAlpha: LEAKY_RELU_ACTIVATION_ALPHA }, rest: 'linear' };
    default:
      return { epilogue: { activation: name }, rest: 'linear' };
  }
}

