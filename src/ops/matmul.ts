// STUB: to be written
export type MatMulOptions = any;
export function matMul(..._a: any[]): any { throw new Error('todo'); }
