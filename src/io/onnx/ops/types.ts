/** An operator's handler: reads the current node through the converter, adds its layers and weights. */
import type { Converter } from '../convert.js';

export type Handler = (cv: Converter) => void;
