/**
 * The ops a layer calls: the engine runs them directly (inference); an autograd tape runs the same
 * methods and records them (training). Layers never see which one they got.
 */
export type { Ops } from '../autograd/ops.js';
