/**
 * The styles every element shares: public `--cnn-*` custom properties mapped onto private `--_*`
 * ones (so a page themes with the public names and the elements keep sensible defaults), the
 * notice shown without WebGPU or on an error, the progress bar, and a visually hidden class for text
 * written for screen readers.
 */
import { css } from 'lit';

export const tokens = css`
  :host {
    --_font: var(--cnn-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_mono: var(--cnn-mono, ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace);
    --_fg: var(--cnn-fg, #1d2430);
    --_muted: var(--cnn-muted, #5b6575);
    --_bg: var(--cnn-bg, #ffffff);
    --_surface: var(--cnn-surface, #f4f6f9);
    --_border: var(--cnn-border, #d5dbe3);
    --_accent: var(--cnn-accent, #2f5fd0);
    --_error: var(--cnn-error, #b3261e);
    --_radius: var(--cnn-radius, 8px);
    --_tile: var(--cnn-tile-size, 72px);
    --_gap: var(--cnn-gap, 6px);
    display: block;
    font-family: var(--_font);
    color: var(--_fg);
    background: var(--_bg);
    box-sizing: border-box;
  }
  :host([hidden]),
  [hidden] {
    display: none !important;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .notice {
    border: 1px solid var(--_border);
    border-left: 4px solid var(--_accent);
    border-radius: var(--_radius);
    background: var(--_surface);
    padding: 12px 16px;
    line-height: 1.45;
  }
  .notice.error {
    border-left-color: var(--_error);
  }
  .notice h3 {
    margin: 0 0 6px;
    font-size: 1rem;
  }
  .notice p {
    margin: 4px 0;
    overflow-wrap: anywhere;
  }
  .notice pre {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    font-family: var(--_mono);
    font-size: 0.85em;
    margin: 6px 0 0;
    color: var(--_error);
  }
  .progress {
    display: flex;
    align-items: center;
    gap: 10px;
    color: var(--_muted);
    font-size: 0.9em;
    padding: 8px 0;
  }
  progress {
    flex: 1;
    max-width: 320px;
    accent-color: var(--_accent);
  }
  canvas.pixels {
    image-rendering: pixelated;
    image-rendering: crisp-edges;
  }
  button {
    font: inherit;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
`;
