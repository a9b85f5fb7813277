/**
 * Fused epilogues: a bias along the last axis and an activation applied by the conv2d,
 * depthwiseConv2d and matMul kernels as they write each output (shaders/include/epilogue.wgsl),
 * so a conv or dense layer is one dispatch instead of three. The gradient goes back through the
 * activation from the saved output, then splits into the bias's and the op's own.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor } from './checks.js';
import { unaryGrad } from './elementwise.js';
import { reduceTo } from './grad_shapes.js';

/** The activations a kernel can apply as it writes ('linear' applies none). */
export type Activation = 'linear' | 'relu' | 'relu6' | 'leakyRelu' | 'sigmoid' | 'tanh';

const ACTIVATION_CODES: Record<Activation, number> = { linear: 0, relu: 1, relu6: 2, leakyRelu: 3, sigmoid: 4, tanh: 5 };

/** `tf.fused`'s options: bias added per output channel, then the activation. */
export interface EpilogueOptions {
  /** Shape [c] (or a scalar shape [1]) for an output of c channels on its last axis; added before the activation. */
  bias?: Tensor | null;
  /** Default 'linear'. */
  activation?: Activation;
  /** The slope of 'leakyRelu' below 0 (default 0.2, as in TensorFlow.js). */
  leakyreluAlpha?: number;
}

/** What a kernel needs to apply an epilogue: override constants, the alpha uniform, the bias binding. */
export interface EpilogueLaunch {
  constants: { HAS_BIAS: number; ACT: number; BIAS_SCALAR: number };
  alpha: number;
  /** The bias buffer, or `fallback` (never read) when there is none: the binding must be filled. */
  bias: GPUBuffer;
}

/** Validates the epilogue of an op whose output has `outC` channels on its last axis. */
export function epilogueLaunch(op: string, opts: EpilogueOptions | undefined, outC: number, fallback: GPUBuffer): EpilogueLaunch {
  const { bias = null, activation = 'linear', leakyreluAlpha = 0.2 } = opts ?? {};
  if (!Object.hasOwn(ACTIVATION_CODES, activation)) {
    fail(op, `activation '${String(activation)}' is not one of ${Object.keys(ACTIVATION_CODES).join(', ')}`);
  }
  if (typeof leakyreluAlpha !== 'number' || !Number.isFinite(leakyreluAlpha)) {
    fail(op, `leakyreluAlpha must be a finite number, got ${String(leakyreluAlpha)}`);
  }
  if (bias !== null) {
    checkTensor(op, 'bias', bias);
    if (bias.size !== outC && bias.size !== 1) {
      fail(op, `bias ${shapeStr(bias.shape)} must have one value per output channel (${outC}) or a single value`);
    }
    if (bias.rank > 1 && bias.shape.slice(0, -1).some((d) => d !== 1)) {
      fail(op, `bias ${shapeStr(bias.shape)} must broadcast along the output's last axis only`);
    }
  }
  return {
    constants: { HAS_BIAS: bias ? 1 : 0, ACT: ACTIVATION_CODES[activation], BIAS_SCALAR: bias && bias.size === 1 && outC !== 1 ? 1 : 0 },
    alpha: leakyreluAlpha,
    bias: bias ? bias.buffer : fallback,
  };
}

/**
 * An inference batch normalisation between the bias and the activation (conv2d only:
 * shaders/include/epilogue_bn.wgsl), with `tf.batchNorm`'s formula: a BatchNormalization layer
 * that follows a convolution runs in the convolution's dispatch. Each statistic is [c] for an
 * output of c channels. The kernel reads them as it runs, so a weight written in place is seen by
 * the next call. It has no gradient: differentiate the conv and batchNorm ops separately.
 */
export interface BatchNormEpilogue {
  mean: Tensor;
  variance: Tensor;
  /** Added last (Keras's beta); null for none. */
  offset?: Tensor | null;
  /** Multiplies (Keras's gamma); null for none. */
  scale?: Tensor | null;
  /** Default 0.001, as tf.batchNorm's. */
  epsilon?: number;
}

/** What a kernel needs to apply a batch-norm epilogue: override constants, epsilon, four bindings. */
export interface BatchNormLaunch {
  constants: { HAS_BN: number; BN_SCALE: number; BN_OFFSET: number };
  epsilon: number;
  buffers: { bn_mean: GPUBuffer; bn_variance: GPUBuffer; bn_scale: GPUBuffer; bn_offset: GPUBuffer };
}

/** Validates a batch-norm epilogue for an output of `outC` channels; `fallback` fills absent bindings (never read). */
export function batchNormLaunch(op: string, bn: BatchNormEpilogue | null | undefined, outC: number, fallback: GPUBuffer): BatchNormLaunch {
  if (!bn) {
    return {
      constants: { HAS_BN: 0, BN_SCALE: 0, BN_OFFSET: 0 },
      epsilon: 0,
      buffers: { bn_mean: fallback, bn_variance: fallback, bn_scale: fallback, bn_offset: fallback },
    };
  }
  const { mean, variance, offset = null, scale = null, epsilon = 0.001 } = bn;
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) {
    fail(op, `batchNorm.epsilon must be a positive finite number, got ${String(epsilon)}`);
  }
  for (const [name, t] of [['mean', mean], ['variance', variance], ['offset', offset], ['scale', scale]] as const) {
    if (t === null) continue;
    checkTensor(op, `batchNorm.${name}`, t);
    if (t.size !== outC || t.shape.slice(0, -1).some((d) => d !== 1)) {
      fail(op, `batchNorm.${name} ${shapeStr(t.shape)} must hold one value per output channel (${outC}) along its last axis`);
    }
  }
  return {
    constants: { HAS_BN: 1, BN_SCALE: scale ? 1 : 0, BN_OFFSET: offset ? 1 : 0 },
    epsilon,
    buffers: { bn_mean: mean.buffer, bn_variance: variance.buffer, bn_scale: scale?.buffer ?? fallback, bn_offset: offset?.buffer ?? fallback },
  };
}

/** Whether `opts` asks for anything beyond the plain op. */
export function hasEpilogue(opts: EpilogueOptions | undefined): boolean {
  return !!opts && ((opts.bias ?? null) !== null || (opts.activation ?? 'linear') !== 'linear');
}

/**
 * The gradient with respect to the pre-activation value, from the output y (each activation's
 * derivative is a function of its output, except leaky relu with a negative slope, whose caller
 * recomputes the pre-activation: `preActivation`). Returns `g` itself for 'linear'.
 */
export function activationGradient(e: Engine, g: Tensor, y: Tensor, opts: EpilogueOptions | undefined, preActivation: () => Tensor): Tensor {
  const { activation = 'linear', leakyreluAlpha = 0.2 } = opts ?? {};
  switch (activation) {
    case 'linear':
      return g;
    case 'leakyRelu': {
      if (leakyreluAlpha >= 0) return unaryGrad(e, 'leakyRelu', g, y, leakyreluAlpha);
      const pre = preActivation();
      const d = unaryGrad(e, 'leakyRelu', g, pre, leakyreluAlpha);
      pre.dispose();
      return d;
    }
    default:
      // relu and relu6 test y > 0 (and y < 6), which holds exactly where x does.
      return unaryGrad(e, activation, g, y);
  }
}

/** The bias gradient: `dPre` summed over every axis but the last, in the bias's shape; always a new tensor. */
export function biasGradient(e: Engine, dPre: Tensor, bias: Tensor): Tensor {
  const r = reduceTo(e, dPre, bias.shape);
  return r === dPre ? e.reshape(dPre, bias.shape) : r;
}

/**
 * The gradients of an op with a fused epilogue: `rest(dPre)` gives the op's own inputs', the bias's
 * is appended (null when there is none or it needs none).
 */
export function withEpilogueGradient(
  e: Engine, g: Tensor, y: Tensor, needsBias: boolean, opts: EpilogueOptions | undefined,
  preActivation: () => Tensor, rest: (dPre: Tensor) => (Tensor | null)[],
): (Tensor | null)[] {
  const dPre = activationGradient(e, g, y, opts, preActivation);
  try {
    const bias = opts?.bias ?? null;
    return [...rest(dPre), needsBias && bias ? biasGradient(e, dPre, bias) : null];
  } finally {
    if (dPre !== g) dPre.dispose();
  }
}
