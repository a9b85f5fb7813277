/**
 * Words and legends for what the viewer draws: the text a screen reader hears for each layer, and
 * the CSS gradients of the two colour maps (the same tables as shaders/colormap.wgsl).
 */
import { fmt } from './attributes.js';
import type { ViewerStrings } from './layer-viewer-messages.js';
import type { FeatureMaps, FeatureMapNormalize } from '../../src/index.js';

const VIRIDIS = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];
const RDBU = ['#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f'];

export function legendGradient(map: 'sequential' | 'diverging'): string {
  return `linear-gradient(to right, ${(map === 'diverging' ? RDBU : VIRIDIS).join(', ')})`;
}

function dims(s: FeatureMaps, t: ViewerStrings): string {
  const d = s.shape.slice(1);
  if (d.length === 3) return t('dimsMap', { h: d[0]!, w: d[1]!, c: d[2]! });
  return t('dimsVector', { n: d.reduce((a, b) => a * b, 1) });
}

function channelList(channels: number[], t: ViewerStrings): string {
  if (channels.length === 1) return t('oneChannel', { c: channels[0]! });
  const contiguous = channels.every((c, i) => i === 0 || c === channels[i - 1]! + 1);
  return contiguous ? t('channelRun', { from: channels[0]!, to: channels[channels.length - 1]! }) : t('channelList', { list: channels.join(', ') });
}

/** One paragraph per layer: what it is, what shape, what values, what is drawn and how. */
export function describeLayer(s: FeatureMaps, index: number, total: number, normalize: FeatureMapNormalize, t: ViewerStrings): string {
  const parts = [t('layerOf', { i: index + 1, n: total, name: s.name, className: s.className, dims: dims(s, t), min: fmt(s.min), max: fmt(s.max) })];
  parts.push(s.vector ? t('strip') : t('showing', { channels: channelList(s.channels, t), total: s.channelCount }));
  const scale = t(s.vector || normalize === 'layer' ? 'scaleLayerLong' : normalize === 'global' ? 'scaleGlobalLong' : 'scaleChannelLong');
  parts.push(t(s.map === 'diverging' ? 'coloursDiverging' : 'coloursSequential', { scale }));
  return parts.join(' ');
}

/** The label of one tile button. */
export function describeTile(s: FeatureMaps, tile: number, t: ViewerStrings): string {
  const [lo, hi] = s.channelRanges[tile] ?? [s.min, s.max];
  const what = s.vector ? t('tileAll', { layer: s.name, n: s.shape.slice(1).reduce((a, b) => a * b, 1) }) : t('tileChannel', { layer: s.name, c: s.channels[tile]! });
  return t('tileLabel', { what, lo: fmt(lo), hi: fmt(hi) });
}
