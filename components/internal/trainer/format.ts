/** Numbers for people: counts, throughput and durations as the trainer writes them. */
import type { TrainerStrings } from './messages.js';

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "1,234 images/s"; three significant digits below 100. */
export function rate(perSecond: number, t: TrainerStrings): string {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return t('perSecond', { rate: '–' });
  return t('perSecond', { rate: perSecond >= 100 ? count(perSecond) : Number(perSecond.toPrecision(3)) });
}

/** "45 s", "3 min 5 s", "1 h 12 min". */
export function duration(seconds: number, t: TrainerStrings): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return t('seconds', { s });
  if (s < 3600) return t('minutes', { m: Math.floor(s / 60), s: s % 60 });
  return t('hours', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export const percent = (fraction: number, digits = 1): string => `${(fraction * 100).toFixed(digits)}%`;
