/**
 * The targets <cnn-attribution> offers and the `target` attribute's syntax: '3' or 'class:3',
 * 'layer:channel', 'layer:channel@y,x' (one unit) and 'embedding'. Kept apart so it is tested
 * without a GPU.
 */
import type { Model } from '../shared-engine.js';

export type Choice =
  | { kind: 'class'; index: number; label: string; p: number | null }
  | { kind: 'channel'; layer: string; channel: number; y?: number; x?: number; value?: number }
  | { kind: 'embedding' };

/** What the attribute names, or null for '' (the element's default), or 'bad' for something this model does not have. */
export type ParsedTarget = { class: number } | { layer: string; channel: number; y?: number; x?: number } | 'embedding' | null | 'bad';

/** The picker's value for a choice (and the attribute's spelling of it). */
export function choiceKey(c: Choice): string {
  if (c.kind === 'class') return `class:${c.index}`;
  if (c.kind === 'embedding') return 'embedding';
  return c.y === undefined ? `${c.layer}:${c.channel}` : `${c.layer}:${c.channel}@${c.y},${c.x}`;
}

/**
 * @example
 * parseTarget('class:3', mnist)      // {class: 3}
 * parseTarget('conv2:7@3,5', mnist)  // {layer: 'conv2', channel: 7, y: 3, x: 5}
 */
export function parseTarget(text: string, model: Model): ParsedTarget {
  const s = String(text ?? '').trim();
  if (!s) return null;
  if (s === 'embedding') return 'embedding';
  const cls = /^(?:class:)?(\d+)$/.exec(s);
  if (cls) {
    const k = Number(cls[1]);
    return model.outputShape.length === 1 && k < model.outputShape[0]! ? { class: k } : 'bad';
  }
  const m = /^(.+?):(\d+)(?:@(\d+),\s*(\d+))?$/.exec(s);
  if (!m) return 'bad';
  const layer = model.layers.find((l) => l.name === m[1]);
  if (!layer || layer.name === model.inputName) return 'bad';
  const shape = layer.outputShape;
  const channel = Number(m[2]);
  if (channel >= shape[shape.length - 1]!) return 'bad';
  if (m[3] === undefined) return { layer: layer.name, channel };
  const [y, x] = [Number(m[3]), Number(m[4])];
  if (shape.length !== 3 || y >= shape[0]! || x >= shape[1]!) return 'bad';
  return { layer: layer.name, channel, y, x };
}

/** The choice a parsed target stands for: one of `choices` where it is listed, else a new one. */
export function choiceOf(t: Exclude<ParsedTarget, null | 'bad'>, choices: readonly Choice[], labels: readonly string[]): Choice {
  if (t === 'embedding') return { kind: 'embedding' };
  if ('class' in t) return choices.find((c) => c.kind === 'class' && c.index === t.class) ?? { kind: 'class', index: t.class, label: labels[t.class] ?? String(t.class), p: null };
  const key = t.y === undefined ? `${t.layer}:${t.channel}` : `${t.layer}:${t.channel}@${t.y},${t.x}`;
  return choices.find((c) => choiceKey(c) === key) ?? { kind: 'channel', ...t };
}
