/**
 * Errors that name the op and the shapes involved, so a user sees what was wrong without a debugger.
 * Every error the library throws is a CnnError or one of the subclasses below, so a caller tells
 * them apart with `instanceof`, never by reading the message.
 */
export class CnnError extends Error {
  constructor(
    readonly op: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${op}: ${message}`, options);
    this.name = 'CnnError';
  }
}

/**
 * An operation stopped by its AbortSignal. Its `name` is 'AbortError', as a DOM abort's is, so code
 * that checks `err.name === 'AbortError'` keeps working; `cause` is the signal's reason.
 */
export class CnnAbortError extends CnnError {
  constructor(op: string, reason?: unknown) {
    const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
    super(op, why ? `aborted (${why})` : 'aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

/** Throws a CnnAbortError carrying the signal's reason when the signal has been aborted. */
export function throwIfAborted(op: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CnnAbortError(op, signal.reason);
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

/** `e` itself when it is a CnnError; otherwise a CnnError of `op` with e's message, and e as its cause. */
export function asCnnError(op: string, e: unknown): CnnError {
  if (e instanceof CnnError) return e;
  return new CnnError(op, e instanceof Error ? e.message : String(e), { cause: e });
}
