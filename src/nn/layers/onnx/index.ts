/**
 * The layer classes an imported ONNX graph is built from, by class name (for the layer registry).
 * Keras's BatchNormalization and Concatenate and the InputLayer serve ONNX graphs unchanged.
 */
import { OnnxConv } from './conv.js';
import { OnnxPool } from './pool.js';
import { OnnxGemm } from './dense.js';
import { OnnxBinary, OnnxUnary } from './elementwise.js';
import { OnnxIdentity, OnnxPad, OnnxRelayout, OnnxSlice } from './layout.js';
import { OnnxSoftmax } from './softmax.js';
import { OnnxReduce } from './reduce.js';
import { OnnxLrn } from './lrn.js';
import { OnnxResize } from './resize.js';

export { OnnxConv, OnnxPool, OnnxGemm, OnnxBinary, OnnxUnary, OnnxIdentity, OnnxPad, OnnxRelayout, OnnxSlice, OnnxSoftmax, OnnxReduce, OnnxLrn, OnnxResize };
export type { LayoutStep } from './base.js';

export const ONNX_LAYER_CLASSES = {
  OnnxConv, OnnxPool, OnnxGemm, OnnxBinary, OnnxUnary, OnnxIdentity, OnnxPad, OnnxRelayout, OnnxSlice, OnnxSoftmax, OnnxReduce, OnnxLrn, OnnxResize,
};
