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

/**
 * Training stopped because the loss became NaN or infinite. `step` and `epoch` count from 0, as
 * `BatchLog` does; the message counts epochs from 1, as people do.
 */
export class NonFiniteLossError extends CnnError {
  constructor(
    readonly step: number,
    readonly epoch: number,
  ) {
    super('fit', `the loss became NaN or infinite at step ${step} (epoch ${epoch + 1}); training stopped. A lower learning rate usually helps.`);
    this.name = 'NonFiniteLossError';
  }
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function fail(op: string, message: string): never {
  throw new CnnError(op, message);
}
