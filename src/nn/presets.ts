/**
 * Preset networks for 28×28×1 digits (MNIST, pixels scaled to [0, 1]), as layer specs for
 * `sequential`. The softmax at the end is left out by `fit`, which trains on the logits.
 */
import type { LayerSpec } from './sequential.js';

export interface Preset {
  name: string;
  description: string;
  inputShape: readonly number[];
  layers: readonly LayerSpec[];
}

const conv = (name: string, filters: number, size: number, padding = 'valid'): LayerSpec => ({
  className: 'Conv2D',
  config: { name, filters, kernel_size: [size, size], padding, activation: 'relu', kernel_initializer: { class_name: 'HeNormal', config: {} } },
});
const pool = (name: string): LayerSpec => ({ className: 'MaxPooling2D', config: { name, pool_size: [2, 2] } });

/** LeNet-style: two 5×5 conv + pool stages, then two dense layers (about 99 % on MNIST in 2–3 epochs). */
export const lenet: Preset = {
  name: 'lenet',
  description: 'LeNet-style: conv 5×5 ×16 → pool → conv 5×5 ×32 → pool → dense 128 → dense 10',
  inputShape: [28, 28, 1],
  layers: [
    conv('conv1', 16, 5),
    pool('pool1'),
    conv('conv2', 32, 5),
    pool('pool2'),
    { className: 'Flatten', config: { name: 'flatten' } },
    { className: 'Dense', config: { name: 'dense1', units: 128, activation: 'relu', kernel_initializer: { class_name: 'HeNormal', config: {} } } },
    { className: 'Dense', config: { name: 'logits', units: 10, activation: 'softmax' } },
  ],
};

/** Deeper, VGG-style: pairs of 3×3 convs before each pool. */
export const deeper: Preset = {
  name: 'deeper',
  description: 'VGG-style: 2× conv 3×3 ×32 → pool → 2× conv 3×3 ×64 → pool → dense 128 → dense 10',
  inputShape: [28, 28, 1],
  layers: [
    conv('conv1a', 32, 3, 'same'),
    conv('conv1b', 32, 3, 'same'),
    pool('pool1'),
    conv('conv2a', 64, 3, 'same'),
    conv('conv2b', 64, 3, 'same'),
    pool('pool2'),
    { className: 'Flatten', config: { name: 'flatten' } },
    { className: 'Dense', config: { name: 'dense1', units: 128, activation: 'relu', kernel_initializer: { class_name: 'HeNormal', config: {} } } },
    { className: 'Dense', config: { name: 'logits', units: 10, activation: 'softmax' } },
  ],
};

/** A small net for tests and quick demos. */
export const tiny: Preset = {
  name: 'tiny',
  description: 'conv 5×5 ×8 → pool → dense 10',
  inputShape: [28, 28, 1],
  layers: [conv('conv1', 8, 5), pool('pool1'), { className: 'Flatten', config: { name: 'flatten' } }, { className: 'Dense', config: { name: 'logits', units: 10, activation: 'softmax' } }],
};

export const presets: Readonly<Record<string, Preset>> = { lenet, deeper, tiny };
