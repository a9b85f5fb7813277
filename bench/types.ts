/**
 * The benchmark's vocabulary: what a case is, what an engine adapter must do with one, and the
 * shape of the result object that the table, the chart and the JSON file are all made from.
 */

/** The op families; geometric means are taken per family (and per baseline). */
export type OpFamily =
  | 'conv2d'
  | 'conv2dGradInput'
  | 'conv2dGradFilter'
  | 'depthwiseConv2d'
  | 'depthwiseConv2dGradInput'
  | 'depthwiseConv2dGradFilter'
  | 'maxPool'
  | 'maxPoolGrad'
  | 'avgPool'
  | 'avgPoolGrad'
  | 'matMul'
  | 'trainStep'
  | 'convLayer'
  | 'denseLayer'
  | 'modelForward'
  | 'explain';

export const OP_FAMILIES: readonly OpFamily[] = [
  'conv2d', 'conv2dGradInput', 'conv2dGradFilter',
  'depthwiseConv2d', 'depthwiseConv2dGradInput', 'depthwiseConv2dGradFilter',
  'maxPool', 'maxPoolGrad', 'avgPool', 'avgPoolGrad', 'matMul', 'trainStep',
  'convLayer', 'denseLayer', 'modelForward', 'explain',
];

/** Families pooled into one more geometric mean, as the targets name them. */
export const FAMILY_GROUPS: Record<string, readonly OpFamily[]> = {
  pooling: ['maxPool', 'maxPoolGrad', 'avgPool', 'avgPoolGrad'],
  depthwise: ['depthwiseConv2d', 'depthwiseConv2dGradInput', 'depthwiseConv2dGradFilter'],
  // Every convolution of the suite by direction, MobileNet's depthwise layer included.
  convForward: ['conv2d', 'depthwiseConv2d'],
  convGradInput: ['conv2dGradInput', 'depthwiseConv2dGradInput'],
  convGradFilter: ['conv2dGradFilter', 'depthwiseConv2dGradFilter'],
};

/**
 * The first target: no geometric mean of these below 1.0 against any baseline (conv2d
 * forward, input gradient, filter gradient, pooling, the training step).
 */
export const TARGET_GROUPS: readonly string[] = ['convForward', 'convGradInput', 'convGradFilter', 'pooling', 'trainStep'];

export type Pad = 'same' | 'valid';

/** A conv layer: x NHWC, w HWIO (for depthwise [kh, kw, c, multiplier]). */
export interface ConvSpec {
  kind: 'conv';
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  /** w is [kh, kw, c, multiplier] and each channel is filtered on its own (tf.depthwiseConv2d). */
  depthwise: boolean;
}

/** A pooling window over an NHWC input. */
export interface PoolSpec {
  kind: 'pool';
  x: [number, number, number, number];
  filterSize: [number, number];
  strides: [number, number];
  pad: Pad;
}

/** A dense layer: a [m, k] · b [k, n]. */
export interface MatMulSpec {
  kind: 'matmul';
  m: number;
  k: number;
  n: number;
}

/** One training step of LeNet-5 (conv–relu–pool ×2, dense ×3, softmax cross-entropy, SGD). */
export interface TrainSpec {
  kind: 'train';
  batch: number;
  learningRate: number;
}

/**
 * A whole model's forward pass (inference), loaded from a TF.js layers model.json that the page
 * serves; the `convLayer` and `denseLayer` rows are a ConvSpec or MatMulSpec plus a bias and relu.
 */
export interface ModelSpec {
  kind: 'model';
  /** The model.json, relative to the repository root (where the bench page is served). */
  url: string;
  /** The input batch, NHWC. */
  x: [number, number, number, number];
  /** The input values are drawn uniformly from this range (the range the model was trained on). */
  range: [number, number];
}

/**
 * An explanation (src/explain) of a model loaded from a TF.js layers model.json, and the same
 * computation in the baseline through tf.grad on the tfjs-layers model:
 * - `saliency`: d logit[class] / d x (the logit before the final softmax);
 * - `integratedGradients`: `steps` intervals of the trapezoid rule from a baseline of uniform
 *   noise (input `baseline`), the steps + 1 points as one batch. Not from zeros: on an all-zero
 *   input every max-pool window ties, and the engines break ties differently (the outputs would
 *   not agree, though both are right);
 * - `featureVisStep`: one gradient-ascent step (Adam, learning rate 0.2) of a batch-1 image in the
 *   decorrelated Fourier parameterisation on the mean of a channel of a layer's output (after its
 *   activation), the layers after it not run, the objective read back; no robustness transforms
 *   (both sides leave them out).
 */
export interface ExplainSpec {
  kind: 'explain';
  method: 'saliency' | 'integratedGradients' | 'featureVisStep';
  /** The model.json, relative to the repository root. */
  url: string;
  /** The input batch, NHWC (featureVisStep: the image's shape). */
  x: [number, number, number, number];
  /** The input values are drawn uniformly from this range (featureVisStep: the image's range). */
  range: [number, number];
  target: { class: number } | { layer: string; channel: number };
  /** Integrated Gradients' intervals. */
  steps?: number;
}

export type CaseSpec = ConvSpec | PoolSpec | MatMulSpec | TrainSpec | ModelSpec | ExplainSpec;

export type RateUnit = 'GFLOP/s' | 'GB/s' | 'images/s';

/** One row of the table: one op on one layer shape. */
export interface BenchCase {
  /** Unique, e.g. `alexnet-b8.conv3/conv2dGradFilter`. */
  id: string;
  /** The layer, e.g. `alexnet-b8.conv3`: `--shape` matches against it. */
  shape: string;
  network: string;
  family: OpFamily;
  spec: CaseSpec;
  /** Floating-point operations of one call (0 where the rate is in GB/s or images/s). */
  flops: number;
  /** Bytes one call must move at the least (inputs read once, output written once). */
  bytes: number;
  unit: RateUnit;
  /** Short text of the shapes for the table. */
  dims: string;
}

/** Inputs of a case in the canonical layouts (NHWC activations, HWIO filters, row-major matrices). */
export interface CaseInputs {
  /** By role: x, w, dy, y (max-pool output for its gradient), a, b, labels, params… */
  [name: string]: { data: Float32Array; shape: number[] };
}

/** A case made ready on one engine: inputs on the device, pipelines maybe compiled. */
export interface PreparedCase {
  /** Records (or runs) one call and disposes its output. May return a promise (an engine whose API is async). */
  run(): void | Promise<void>;
  /** Waits until the device has finished everything `run` recorded. */
  sync(): Promise<void>;
  /** One call, read back in the canonical layout (used for the correctness check, never timed). */
  output(): Promise<Float32Array>;
  /** Which kernel variants ran, where the engine can say. */
  variant?: string;
  /** How many dispatches one call made, where the engine can say. */
  dispatches?: number;
  dispose(): void;
}

/** An engine adapter: ours or a baseline. */
export interface BenchEngine {
  id: string;
  label: string;
  /** True when the engine runs on the GPU (it then gets a GPU-time column where timestamps exist). */
  gpu: boolean;
  /** A reason the engine cannot run the case, or null. */
  unsupported(c: BenchCase): string | null;
  prepare(c: BenchCase, inputs: CaseInputs): Promise<PreparedCase>;
  /** Frees what the engine holds across cases. */
  dispose(): Promise<void> | void;
}

export interface Stats {
  median: number;
  p10: number;
  p90: number;
  min: number;
  n: number;
}

export type Status = 'ok' | 'mismatch' | 'n/a' | 'error' | 'skipped';

export interface Measurement {
  status: Status;
  /** Why not ok (n/a reason, error message, mismatch size). */
  note?: string;
  /** ‖out − ref‖ / ‖ref‖ against the reference engine's output. */
  relError?: number;
  /** First call, pipeline compilation included, ms (wall, to onSubmittedWorkDone). */
  coldMs?: number;
  /** Per call, ms, to onSubmittedWorkDone. */
  wallMs?: Stats;
  /** Per call, ms, from timestamp queries around every compute pass, where the device has them. */
  gpuMs?: Stats | null;
  /** Calls per sample (several where one call is shorter than a useful sample). */
  inner?: number;
  /** Rate at the median wall time, in the case's unit. */
  rate?: number;
  /** Rate at the median GPU time. */
  gpuRate?: number | null;
  /** Our kernels in one call, by entry point (observed as the case first ran). */
  variant?: string;
  /** Our dispatches in one call (observed as the case first ran). */
  dispatches?: number;
}

export interface RowResult {
  case: BenchCase;
  /** By engine id. */
  results: Record<string, Measurement>;
  /** Our speed-up over each baseline by median wall time (> 1: we are faster); null where either side has no time. */
  ratios: Record<string, number | null>;
  /** The same by median GPU time. */
  gpuRatios: Record<string, number | null>;
  /** The engine whose output the others were compared with. */
  reference: string | null;
}

export interface AdapterReport {
  description: string;
  vendor: string;
  architecture: string;
  isSoftware: boolean;
  hasTimestampQuery: boolean;
}

export interface SuiteOptions {
  /** Timed samples per measurement (at least 30 for a report). */
  samples: number;
  /** The samples are taken in this many rounds, every engine in turn within a round. */
  rounds: number;
  /** Untimed calls before sampling. */
  warmup: number;
  /** A sample is at least this long: short calls are repeated within a sample. */
  minSampleMs: number;
  /** Caps the calls per sample. */
  maxInner: number;
  /** 0: no cap; else fewer samples (never under 5) when samples × one call would pass this many seconds. */
  maxSecondsPerMeasurement: number;
  /** Relative L2 error above which an engine's output counts as a mismatch. */
  tolerance: number;
  /** Timestamp queries around compute passes where the device has them. */
  gpuTimer: boolean;
  seed: number;
}

export const DEFAULT_OPTIONS: SuiteOptions = {
  samples: 30,
  rounds: 3,
  warmup: 3,
  minSampleMs: 25,
  maxInner: 1024,
  maxSecondsPerMeasurement: 0,
  tolerance: 1e-3,
  gpuTimer: true,
  seed: 1,
};

export interface SuiteResult {
  meta: {
    date: string;
    adapter: AdapterReport;
    browser: string;
    userAgent: string;
    options: SuiteOptions;
    engines: { id: string; label: string }[];
    /** Our engine is the one the ratios are of. */
    ours: string;
    durationMs: number;
  };
  rows: RowResult[];
  /** Per op family, per baseline: the geometric mean of our wall-time ratios (null where no row has one). */
  geomeanByFamily: Record<string, Record<string, number | null>>;
  /** Per baseline over every row. */
  geomeanAll: Record<string, number | null>;
  /** The same by GPU time. */
  gpuGeomeanByFamily: Record<string, Record<string, number | null>>;
}

export interface Progress {
  done: number;
  total: number;
  caseId: string;
  engine: string;
  /** A one-line summary of the last measurement. */
  message: string;
}
