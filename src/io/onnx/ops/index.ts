/** Every operator's handler, by ONNX op type. */
import type { Handler } from './types.js';
import { convHandlers } from './conv.js';
import { denseHandlers } from './dense.js';
import { elementwiseHandlers } from './elementwise.js';
import { shapeHandlers } from './shape.js';
import { normalizationHandlers } from './normalization.js';
import { resizeHandlers } from './resize.js';

export const HANDLERS: Record<string, Handler> = {
  ...convHandlers,
  ...denseHandlers,
  ...elementwiseHandlers,
  ...shapeHandlers,
  ...normalizationHandlers,
  ...resizeHandlers,
};
