/**
 * Handing the trained model to other elements on the page: the ones named in the trainer's `for`
 * that offer `setModel` (cnn-layer-viewer, cnn-filter-viewer). A viewer with nothing to run the
 * model on gets the trainer's test digit as its input.
 */
import type { Model } from '../../../src/index.js';

/** What an element must offer to be handed a model. */
export interface ModelTarget extends HTMLElement {
  setModel(model: Model, name?: string): void;
  setInput?(source: HTMLCanvasElement): void;
  readonly input?: HTMLCanvasElement | null;
  readonly state?: string;
  readonly updateComplete?: Promise<boolean>;
}

/** The elements with these ids (space separated) in the host's document or shadow root that take a model. */
export function modelTargets(host: Element, ids: string): ModelTarget[] {
  const root = host.getRootNode() as Document | ShadowRoot;
  return ids
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => root.getElementById?.(id) ?? document.getElementById(id))
    .filter((el): el is ModelTarget => !!el && typeof (el as Partial<ModelTarget>).setModel === 'function');
}

/**
 * Whether a target has no input of its own: none shown yet, no `src`, and no cnn-image-input feeding
 * it (inside it, or pointing at it with `for`), which would give it one.
 */
export function needsInput(host: Element, t: ModelTarget): boolean {
  if (typeof t.setInput !== 'function' || !('input' in t) || t.input !== null || t.getAttribute('src')) return false;
  if (t.querySelector('cnn-image-input')) return false;
  const root = host.getRootNode() as Document | ShadowRoot;
  return ![...root.querySelectorAll('cnn-image-input[for]')].some((i) => (i.getAttribute('for') ?? '').split(/\s+/).includes(t.id));
}

/** Resolves once no target is in the middle of a pass (or after `timeoutMs`), so an old model can go. */
export async function settled(targets: readonly ModelTarget[], timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const t of targets) {
    await t.updateComplete;
    while ((t.state === 'running' || t.state === 'loading') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}
