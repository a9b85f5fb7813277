/**
 * `sequential(engine, {inputShape, layers})`: a chain of layers from specs shaped like model.json's
 * (`{className, config}` with Keras's snake_case fields), with seeded initial weights.
 */
import type { Engine } from '../engine.js';
import { CnnError } from '../errors.js';
import { Model, type ModelNode } from './model.js';
import { createLayer } from './layers/registry.js';
import type { LayerConfig } from './layer.js';

export interface LayerSpec {
  className: string;
  config?: LayerConfig;
}

export interface SequentialOptions {
  /** Input shape without the batch dimension, e.g. [28, 28, 1]. */
  inputShape: readonly number[];
  layers: readonly LayerSpec[];
  /** Seed of the weight initialisers (default 0). */
  seed?: number;
  name?: string;
}

/**
 * Builds a Sequential model with initialised weights.
 * @example
 * const model = sequential(engine, {
 *   inputShape: [28, 28, 1],
 *   layers: [
 *     { className: 'Conv2D', config: { filters: 8, kernel_size: 3, activation: 'relu' } },
 *     { className: 'MaxPooling2D', config: { pool_size: 2 } },
 *     { className: 'Flatten' },
 *     { className: 'Dense', config: { units: 10, activation: 'softmax' } },
 *   ],
 *   seed: 1,
 * });
 */
export function sequential(engine: Engine, opts: SequentialOptions): Model {
  const name = opts.name ?? 'sequential';
  if (!Array.isArray(opts.layers) || opts.layers.length === 0) throw new CnnError(`model '${name}'`, 'needs at least one layer');
  const taken = new Set(opts.layers.map((s) => s.config?.name).filter((n): n is string => typeof n === 'string'));
  const specs = opts.layers.map((spec) => {
    const className = spec.className ?? (spec as unknown as { class_name?: string }).class_name;
    const config = { ...(spec.config ?? {}) };
    config.name ??= uniqueName(snakeCase(String(className)), taken);
    return { className, config };
  });
  const inputName = `${String(specs[0]!.config.name)}_input`;
  const nodes: ModelNode[] = [
    { layer: createLayer(engine, 'InputLayer', { name: inputName, batch_input_shape: [null, ...opts.inputShape] }), inbound: [] },
  ];
  for (const s of specs) {
    nodes.push({ layer: createLayer(engine, s.className, s.config), inbound: [nodes[nodes.length - 1]!.layer.name] });
  }
  const model = new Model(engine, { name, topology: 'sequential', nodes });
  try {
    model.initialize(opts.seed ?? 0);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Keras's default layer names: the class name in snake_case ("MaxPooling2D" → "max_pooling2d"). */
export function snakeCase(className: string): string {
  return className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** "conv2d", then "conv2d_1", "conv2d_2", … as Keras numbers repeated names, skipping names taken. */
function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 1; taken.has(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}
