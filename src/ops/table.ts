/**
 * Every op, by the name it has on the engine and the tape. Each op file declares its ops'
 * signatures (what the engine and the tape show) beside their definitions (src/ops/op.ts); the
 * engine's methods, the `Ops` interface layers are written against, the tape's recording
 * methods and the gradient rules all come from here. An op whose signature is listed among the
 * differentiable ones without a gradient rule, or a signature without a definition, does not
 * compile.
 */
import { unaryOps, type UnaryOps, type UnaryGradKernels } from './elementwise.js';
import { binaryOps, type BinaryOps } from './binary.js';
import { conv2dOps, type Conv2dOps, type Conv2dGradKernels } from './conv2d.js';
import { depthwiseConv2dOps, type DepthwiseConv2dOps, type DepthwiseConv2dGradKernels } from './depthwise_conv2d.js';
import { poolOps, type PoolOps, type PoolGradKernels } from './pool.js';
import { matMulOps, type MatMulOps } from './matmul.js';
import { softmaxOps, type SoftmaxOps } from './softmax.js';
import { reduceOps, type ReduceOps } from './reduce.js';
import { batchNormOps, type BatchNormOps } from './batch_norm.js';
import { padOps, type PadOps } from './pad.js';
import { sliceOps, type SliceOps } from './slice.js';
import { concatOps, type ConcatOps } from './concat.js';
import { reshapeOps, type ReshapeOps } from './reshape.js';
import { transposeOps, type TransposeOps } from './transpose.js';
import { lrnOps, type LrnOps, type LrnGradKernels } from './lrn.js';
import { clipOps, type ClipOps, type ClipGradKernels } from './clip.js';
import { resizeOps, type ResizeOps, type ResizeGradKernels } from './resize.js';
import { affineWarpOps, type AffineWarpOps, type AffineWarpGradKernels } from './affine_warp.js';
import type { Definitions, DifferentiableOp } from './op.js';

/** The ops the tape records and differentiates (each has a gradient rule). */
export interface TapeOps
  extends UnaryOps, BinaryOps, Conv2dOps, DepthwiseConv2dOps, PoolOps, MatMulOps, SoftmaxOps,
    ReduceOps, BatchNormOps, PadOps, SliceOps, ConcatOps, ReshapeOps,
    TransposeOps, LrnOps, ClipOps, ResizeOps, AffineWarpOps {}

/** The gradient kernels: engine methods the tape does not record. */
export interface KernelOps
  extends UnaryGradKernels, Conv2dGradKernels, DepthwiseConv2dGradKernels, PoolGradKernels, LrnGradKernels,
    ClipGradKernels, ResizeGradKernels, AffineWarpGradKernels {}

/** Every op method of the engine. */
export interface EngineOps extends TapeOps, KernelOps {}

export const opTable: Definitions<TapeOps, KernelOps> = {
  ...conv2dOps,
  ...depthwiseConv2dOps,
  ...poolOps,
  ...unaryOps,
  ...binaryOps,
  ...matMulOps,
  ...softmaxOps,
  ...reduceOps,
  ...batchNormOps,
  ...padOps,
  ...sliceOps,
  ...concatOps,
  ...reshapeOps,
  ...transposeOps,
  ...lrnOps,
  ...clipOps,
  ...resizeOps,
  ...affineWarpOps,
};

export type OpName = keyof EngineOps;
export type DifferentiableOpName = keyof TapeOps;

/** The definition of a differentiable op, by name (what the tape records with). */
export function differentiableOp(name: DifferentiableOpName): DifferentiableOp<any[], any> {
  return opTable[name] as DifferentiableOp<any[], any>;
}
