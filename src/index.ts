// The public API of cnn-webgpu: exports only.
export { createEngine, Engine, type EngineOptions, type MemoryInfo } from './engine.js';
export { Tensor } from './tensor.js';
export { CnnError } from './errors.js';
export type { GpuInfo } from './gpu/device.js';
export type { Conv2dOptions, Padding } from './ops/conv_geometry.js';
export type { Pool2dOptions } from './ops/pool.js';
export type { MatMulOptions } from './ops/matmul.js';
export type { UnaryOp } from './ops/elementwise.js';
