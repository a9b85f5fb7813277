/**
 * Words and legends for what the viewer draws: the text a screen reader hears for each layer, and
 * the CSS gradients of the two colour maps (the same tables as shaders/colormap.wgsl).
 */
import { fmt } from './attributes.js';
import type { FeatureMaps, FeatureMapNormalize } from '../../src/index.js';

const VIRIDIS = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];
const RDBU = ['#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f'];

export function legendGradient(map: 'sequential' | 'diverging'): string {
  return `linear-gradient(to right, ${(map === 'diverging' ? RDBU : VIRIDIS).join(', ')})`;
}

function dims(s: FeatureMaps): string {
  const d = s.shape.slice(1);
  if (d.length === 3) return `${d[0]} by ${d[1]} pixels with ${d[2]} channel${d[2] === 1 ? '' : 's'}`;
  return `a vector of ${d.reduce((a, b) => a * b, 1)} values`;
}

function channelList(channels: number[]): string {
  if (channels.length === 1) return `channel ${channels[0]}`;
  const contiguous = channels.every((c, i) => i === 0 || c === channels[i - 1]! + 1);
  return contiguous ? `channels ${channels[0]} to ${channels[channels.length - 1]}` : `channels ${channels.join(', ')}`;
}

/** One paragraph per layer: what it is, what shape, what values, what is drawn and how. */
export function describeLayer(s: FeatureMaps, index: number, total: number, normalize: FeatureMapNormalize): string {
  const parts = [`Layer ${index + 1} of ${total}: ${s.name}, a ${s.className} layer. Its output is ${dims(s)}, with values from ${fmt(s.min)} to ${fmt(s.max)}.`];
  if (s.vector) {
    parts.push('It is drawn as one strip, one cell per value.');
  } else {
    parts.push(`Showing ${channelList(s.channels)} of ${s.channelCount}, one tile each.`);
  }
  const scale = s.vector || normalize === 'layer' ? 'the layer’s range' : normalize === 'global' ? 'one range shared by all layers shown' : 'each channel’s own range';
  parts.push(
    s.map === 'diverging'
      ? `Colours are diverging on ${scale}: blue below zero, white at zero, red above.`
      : `Colours run from dark purple (lowest) through green to yellow (highest) on ${scale}.`,
  );
  return parts.join(' ');
}

/** The label of one tile button. */
export function describeTile(s: FeatureMaps, tile: number): string {
  const [lo, hi] = s.channelRanges[tile] ?? [s.min, s.max];
  const what = s.vector ? `${s.name}, all ${s.shape.slice(1).reduce((a, b) => a * b, 1)} values` : `${s.name} channel ${s.channels[tile]}`;
  return `${what}, values ${fmt(lo)} to ${fmt(hi)}. Press Enter to open it large.`;
}
