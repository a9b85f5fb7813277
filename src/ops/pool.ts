// STUB: to be written
export type Pool2dOptions = any;
export function maxPool2d(..._a: any[]): any { throw new Error('todo'); }
export function maxPool2dGrad(..._a: any[]): any { throw new Error('todo'); }
export function avgPool2d(..._a: any[]): any { throw new Error('todo'); }
export function avgPool2dGrad(..._a: any[]): any { throw new Error('todo'); }
