/**
 * The whole-model benchmark's vocabulary: a row is one network at one batch size, timed on every
 * engine that can load the same file (an .onnx for ONNX Runtime Web, a model.json for TF.js), or
 * the viewer's own path, or `Model.fit` on a preset; the result feeds the table, the chart and the JSON.
 */
import type { AdapterReport, Measurement, PreparedCase, Progress, Stats } from '../types.js';

export type ModelRowKind = 'forward' | 'viewer' | 'train';

/** One row of the model table. */
export interface ModelCase {
  /** Unique, e.g. `resnet50.b8/forward`. */
  id: string;
  /** The network: `resnet50`, `face`, `lenet`…; `--models` matches against it. */
  model: string;
  kind: ModelRowKind;
  /** Where the network comes from: an ONNX file, a TF.js layers model.json, or a preset of src/nn/presets.ts. */
  format: 'onnx' | 'tfjs' | 'preset';
  /** The file, relative to the served root (a preset's name for training rows). */
  url: string;
  /** The input batch, NHWC. */
  x: [number, number, number, number];
  /** Input values are drawn uniformly from this range. */
  range: [number, number];
  /** ONNX: the output compared across engines (the logits before the final softmax). */
  output?: string;
  /** Training rows: optimiser steps per call (`images` = steps × batch). */
  steps?: number;
  learningRate?: number;
  /** Images one call handles (the rate is images/s). */
  images: number;
  /** Short description for the table. */
  about: string;
  /** Large on a software adapter: fewer samples by default. */
  heavy: boolean;
}

/** What an engine holds on the device for a row (bytes), where it can say. */
export interface MemoryReport {
  /** Held between calls: weights, the input, whatever the engine keeps (pools excluded). */
  heldBytes: number | null;
  /** The most held at once during one call. */
  peakBytes: number | null;
  /** Kept for reuse after the call (our buffer pool), where the engine reports it. */
  pooledBytes?: number | null;
  /** Where these bytes live ('gpu', or 'cpu' for a CPU engine), or why there is no number. */
  note?: string;
}

/** A row made ready on one engine. */
export interface PreparedModel extends PreparedCase {
  /** One more call, observing the engine's memory (never timed). */
  memory?(): Promise<MemoryReport>;
}

export interface ModelEngine {
  id: string;
  label: string;
  gpu: boolean;
  unsupported(c: ModelCase): string | null;
  prepare(c: ModelCase, x: Float32Array): Promise<PreparedModel>;
  dispose(): Promise<void> | void;
}

export interface ModelMeasurement extends Measurement {
  memory?: MemoryReport;
}

export interface ModelRowResult {
  case: ModelCase;
  results: Record<string, ModelMeasurement>;
  /** Our speed-up over each baseline (their median ÷ ours; > 1: we are faster). */
  ratios: Record<string, number | null>;
  reference: string | null;
}

export interface ModelSuiteOptions {
  samples: number;
  /** Samples of the heavy rows (ResNet-50, VGG-19, DenseNet-121, Inception; the face net at batch 8). */
  heavySamples: number;
  rounds: number;
  warmup: number;
  minSampleMs: number;
  maxInner: number;
  /** Per engine and row: fewer samples (never under `minSamples`) where they would pass this. 0: no cap. */
  maxSecondsPerMeasurement: number;
  /** Relative L2 error of the (row-centred) outputs above which an engine is a mismatch. */
  tolerance: number;
  gpuTimer: boolean;
  seed: number;
}

export const MODEL_DEFAULTS: ModelSuiteOptions = {
  samples: 10,
  heavySamples: 3,
  rounds: 2,
  warmup: 1,
  minSampleMs: 25,
  maxInner: 64,
  maxSecondsPerMeasurement: 60,
  tolerance: 1e-3,
  gpuTimer: true,
  seed: 1,
};

export interface ModelSuiteResult {
  kind: 'models';
  meta: {
    date: string;
    adapter: AdapterReport;
    browser: string;
    userAgent: string;
    options: ModelSuiteOptions;
    engines: { id: string; label: string }[];
    ours: string;
    durationMs: number;
    /** Networks asked for whose files were not found, with what to run to make them. */
    missing: { model: string; why: string }[];
  };
  rows: ModelRowResult[];
  /** Per baseline, the geometric mean of our ratios over the forward rows. */
  geomeanForward: Record<string, number | null>;
}

export type { Progress, Stats };
