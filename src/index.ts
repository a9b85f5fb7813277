// The public API of cnn-webgpu: exports only.
export { createEngine, Engine, type EngineOptions, type MemoryInfo } from './engine.js';
export { Tensor } from './tensor.js';
export { CnnError, NonFiniteLossError } from './errors.js';
export { WebGpuUnavailableError, type GpuInfo } from './gpu/device.js';
export type { Conv2dOptions, Padding } from './ops/conv_geometry.js';
export type { Pool2dOptions } from './ops/pool.js';
export type { MatMulOptions } from './ops/matmul.js';
export type { UnaryOp } from './ops/elementwise.js';
export { Tape } from './autograd/tape.js';
export type { Ops } from './autograd/ops.js';
export { Model, type Activations, type RunOptions } from './nn/model.js';
export { sequential, type LayerSpec, type SequentialOptions } from './nn/sequential.js';
export { sgd, adam, type Optimizer, type SgdConfig, type AdamConfig } from './nn/optimizers.js';
export { fit, evaluate, imageDataset, TrainingControl, type Dataset, type FitOptions, type BatchLog, type EpochLog, type History } from './nn/training.js';
export { presets, lenet, deeper, tiny, type Preset } from './nn/presets.js';
export { loadLayersModel, saveLayersModel, type ModelSource, type LoadOptions, type SavedModel, type ModelArtifacts } from './io/layers_format.js';
export { loadMnist, parseIdxImages, parseIdxLabels, imageSet, shuffledIndices, batches, type ImageSet, type Batch } from './io/mnist.js';
