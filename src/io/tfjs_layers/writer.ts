/**
 * Writing a model in the TensorFlow.js layers format: model.json (topology and weights manifest)
 * and one float32 shard, 'weights.bin', that `tf.loadLayersModel` (and loadLayersModel) read back.
 */
import { asCnnError } from '../../errors.js';
import type { Model } from '../../nn/model.js';
import { serializeTopology } from './topology.js';

/** A model in the TF.js layers format, ready to write as model.json and weights.bin. */
export interface SavedModel {
  modelJson: Record<string, unknown>;
  weightData: ArrayBuffer;
}

/**
 * The model as TF.js layers files: model.json (as an object) and the one shard it names,
 * 'weights.bin', holding every weight as float32. Reads the weights back from the GPU.
 * @example
 * const { modelJson, weightData } = await saveLayersModel(model);
 * download(new Blob([JSON.stringify(modelJson)]), 'model.json');
 * download(new Blob([weightData]), 'weights.bin');
 */
export async function saveLayersModel(model: Model): Promise<SavedModel> {
  try {
    const weights = model.namedWeights();
    const values = await Promise.all(weights.map((w) => w.tensor.read()));
    const total = values.reduce((s, v) => s + v.byteLength, 0);
    const data = new Uint8Array(total);
    let at = 0;
    for (const v of values) {
      data.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
      at += v.byteLength;
    }
    const modelJson = {
      modelTopology: serializeTopology(model),
      format: 'layers-model',
      generatedBy: 'cnn-webgpu',
      convertedBy: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: [...w.tensor.shape], dtype: 'float32' })) }],
    };
    return { modelJson, weightData: data.buffer };
  } catch (e) {
    throw asCnnError('saveLayersModel', e);
  }
}
