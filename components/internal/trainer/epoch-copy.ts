/**
 * The weights of the last completed epoch, kept on the CPU. A GPU can be lost at any moment (a
 * driver reset, the browser reclaiming it), and with it every weight on it; a copy read back at each
 * epoch's end costs one small read-back per epoch and lets the reader still save what was trained,
 * or go on training on a new device from there.
 */
import { loadLayersModel, saveLayersModel, type Engine, type Model, type SavedModel } from '../../../src/index.js';

export interface EpochCopy {
  /** Epochs completed (from 1). */
  epoch: number;
  /** Steps done at that epoch's end. */
  step: number;
  /** The model in the TF.js layers format (model.json and one weights.bin), as Save writes it. */
  saved: SavedModel;
}

/** Reads `model`'s weights back as they are after `epoch` (call it between two steps). */
export async function copyEpoch(model: Model, epoch: number, step: number): Promise<EpochCopy> {
  return { epoch, step, saved: await saveLayersModel(model) };
}

/** The copied model built again on `engine` (a new one after a loss); the caller disposes it. */
export function restoreEpoch(engine: Engine, copy: EpochCopy): Promise<Model> {
  return loadLayersModel(engine, { modelJson: copy.saved.modelJson, weights: copy.saved.weightData });
}
