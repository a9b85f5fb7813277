/**
 * Errors that name the op and the shapes involved, so a user sees what was wrong without a debugger.
 */
export class CnnError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = 'CnnError';
  }
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function fail(op: string, message: string): never {
  throw new CnnError(op, message);
}
