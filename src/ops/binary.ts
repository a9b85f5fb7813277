// STUB: to be written
export function binary(..._a: any[]): any { throw new Error('todo'); }
