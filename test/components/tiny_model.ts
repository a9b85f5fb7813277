/**
 * Small honest test models made with TensorFlow.js layers inside the test (seeded weights), saved
 * through tf.io.withSaveHandler into the TF.js layers format, so the elements load them the way they
 * load any Keras export: as {modelJson, weights}, or by URL from Blob URLs.
 */
import * as tf from '../helpers/tf_oracle.js';
import { Rng } from '../helpers/random.js';

export interface SavedModel {
  modelJson: Record<string, unknown>;
  weightData: ArrayBuffer;
  tfModel: tf.LayersModel;
}

/**
 * size×size×c input (12 by default) → conv (4 filters 3×3 'same', relu) → signed (3 filters 3×3, linear: values of both
 * signs) → pool (2×2 max) → flat → probs (dense 3, softmax): every kind of view the viewer draws.
 */
export async function tinyClassifier(channels = 1, seed = 5, size = 12): Promise<SavedModel> {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    name: 'tiny',
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, channels], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'linear', name: 'signed' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
    ],
  });
  const rng = new Rng(seed);
  model.setWeights(model.getWeights().map((w) => tf.tensor(rng.uniform(w.size, -0.6, 0.6), w.shape)));
  return save(model);
}

/** Any TF.js layers model saved the way the elements load one. */
export async function save(model: tf.LayersModel): Promise<SavedModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts! as tf.io.ModelArtifacts;
  const parts = Array.isArray(a.weightData) ? a.weightData : [a.weightData as ArrayBuffer];
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return {
    modelJson: { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] },
    weightData: bytes.buffer,
    tfModel: model,
  };
}

/** Serves a saved model from Blob URLs (model.json naming its shard by absolute URL); `weightData` may be cut to test a bad file. */
export function blobModel(saved: SavedModel, weightData: ArrayBuffer = saved.weightData): { url: string; revoke(): void } {
  const shard = URL.createObjectURL(new Blob([weightData], { type: 'application/octet-stream' }));
  const manifest = (saved.modelJson.weightsManifest as { weights: unknown }[])[0]!;
  const json = { ...saved.modelJson, weightsManifest: [{ paths: [shard], weights: manifest.weights }] };
  const url = URL.createObjectURL(new Blob([JSON.stringify(json)], { type: 'application/json' }));
  return { url, revoke: () => [url, shard].forEach((u) => URL.revokeObjectURL(u)) };
}

/** A 48×48 test picture: a white diagonal bar and a grey disc on black, with a red square. */
export function picture(size = 48): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = size / 8;
  ctx.beginPath();
  ctx.moveTo(size * 0.1, size * 0.9);
  ctx.lineTo(size * 0.9, size * 0.1);
  ctx.stroke();
  ctx.fillStyle = '#888';
  ctx.beginPath();
  ctx.arc(size * 0.3, size * 0.3, size * 0.15, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = '#d22';
  ctx.fillRect(size * 0.6, size * 0.6, size * 0.25, size * 0.25);
  return c;
}

/** The canvas's RGBA bytes. */
export function pixelsOf(canvas: HTMLCanvasElement): Uint8ClampedArray {
  return canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
}
