/**
 * The elements' own errors, and the words an element shows for any error. Every error an element
 * raises is a CnnError: an ElementError for what the element itself refuses (a bad setting, an image
 * it cannot use), a WebGpuUnavailableError where WebGPU is missing. Elements tell them apart by
 * class, never by their messages.
 */
import { CnnError, WebGpuUnavailableError } from '../../src/index.js';

/**
 * An error an element raises itself. `op` names the element or the step ('cnn-trainer',
 * 'loadImage'); `reason` is what the element shows in place, without that prefix.
 */
export class ElementError extends CnnError {
  constructor(
    op: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(op, reason, options);
    this.name = 'ElementError';
  }
}

/** What an element shows for `err`: an element's or WebGPU's reason as written, otherwise the error's message. */
export function messageOf(err: unknown): string {
  if (err instanceof ElementError || err instanceof WebGpuUnavailableError) return err.reason;
  if (err instanceof Error) return err.message || err.name;
  return String(err ?? 'unknown error');
}
