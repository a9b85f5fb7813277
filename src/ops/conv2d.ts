// STUB: to be written
export type { Conv2dOptions } from "./conv_geometry.js";
export function conv2d(..._a: any[]): any { throw new Error('todo'); }
export function conv2dGradInput(..._a: any[]): any { throw new Error('todo'); }
export function conv2dGradFilter(..._a: any[]): any { throw new Error('todo'); }
