// STUB: to be written
export function reduce(..._a: any[]): any { throw new Error('todo'); }
