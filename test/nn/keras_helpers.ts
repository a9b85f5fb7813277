/**
 * Helpers for the model tests: TF.js layers models as the oracle. A model built with tf.layers is
 * saved through `tf.io.withSaveHandler` to get the exact model.json and weight bytes TF.js writes,
 * and every layer's output is computed by TF.js from one multi-output tf.model.
 */
import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';

export interface Saved {
  /** model.json as TF.js writes it, with weightsManifest paths ['weights.bin']. */
  modelJson: Record<string, unknown>;
  weightData: ArrayBuffer;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

/** The files `model.save()` would write, captured in memory. */
export async function saveTf(model: tf.LayersModel): Promise<Saved> {
  let saved: Saved | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = Array.isArray(a.weightData) ? concatBuffers(a.weightData) : (a.weightData as ArrayBuffer);
      saved = {
        modelJson: {
          modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
          weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        },
        weightData: data,
        weightSpecs: a.weightSpecs!,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

function concatBuffers(bufs: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(bufs.reduce((s, b) => s + b.byteLength, 0));
  let at = 0;
  for (const b of bufs) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/**
 * Replaces every weight with seeded random values (biases and batch-norm statistics included, which
 * TF.js initialises to 0 and 1 and so would test nothing); variances stay positive.
 */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    // getWeights() hands out the variables' own tensors: they must not be disposed here.
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const names = layer.weights.map((w) => w.name);
    layer.setWeights(ws.map((w, i) => {
      const positive = /variance/.test(names[i]!);
      return tf.tensor(rng.uniform(w.size, positive ? 0.5 : -1, positive ? 1.5 : 1), w.shape);
    }));
  }
}

/** Every layer's output by name from TF.js (the InputLayer left out). */
export function tfLayerOutputs(model: tf.LayersModel, x: Float32Array, shape: number[]): Map<string, { values: Float32Array; shape: number[] }> {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) });
  tf.engine().startScope();
  try {
    const outs = probe.predict(tf.tensor(x, shape)) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(outs) ? outs : [outs];
    return new Map(layers.map((l, i) => [l.name, { values: list[i]!.dataSync() as Float32Array, shape: [...list[i]!.shape] }]));
  } finally {
    tf.engine().endScope();
  }
}

/** Runs ours once and compares every layer's output with TF.js's; returns the layer names compared. */
export async function expectSameOutputs(engine: Engine, ours: Model, theirs: tf.LayersModel, batch: number, seed: number, tol = 1e-4): Promise<string[]> {
  const shape = [batch, ...ours.inputShape];
  const x = new Rng(seed).uniform(shape.reduce((a, b) => a * b, 1));
  const expected = tfLayerOutputs(theirs, x, shape);
  const input = engine.tensor(x, shape);
  const acts = ours.run(input);
  const names: string[] = [];
  for (const [name, ref] of expected) {
    const t = acts.outputs.get(name);
    expect(t, `our model has an output for layer '${name}'`).to.not.equal(undefined);
    expectShape(t!.shape, ref.shape, name);
    expectClose(await t!.read(), ref.values, `layer '${name}'`, tol);
    names.push(name);
  }
  acts.dispose();
  input.dispose();
  return names;
}
