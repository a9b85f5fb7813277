// STUB: to be written
export function softmax(..._a: any[]): any { throw new Error('todo'); }
export function logSoftmax(..._a: any[]): any { throw new Error('todo'); }
export function softmaxCrossEntropy(..._a: any[]): any { throw new Error('todo'); }
