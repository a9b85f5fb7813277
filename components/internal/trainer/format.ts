/** Numbers for people: counts, throughput and durations as the trainer writes them. */

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "1,234 images/s"; three significant digits below 100. */
export function rate(perSecond: number): string {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return '– images/s';
  return `${perSecond >= 100 ? count(perSecond) : Number(perSecond.toPrecision(3))} images/s`;
}

/** "45 s", "3 min 5 s", "1 h 12 min". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const percent = (fraction: number, digits = 1): string => `${(fraction * 100).toFixed(digits)}%`;

export const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;
