import { css } from 'lit';

export const featureVisStyles = css`
  :host {
    --_fv-tile: var(--cnn-tile-size, 84px);
    --_fv-detail: var(--cnn-detail-size, 224px);
    --_fv-example: var(--cnn-example-size, 72px);
  }
  .bar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px 14px;
    margin-bottom: 10px;
    font-size: 0.9em;
  }
  .bar h3 {
    margin: 0;
    font-size: 1rem;
    font-weight: 600;
  }
  .bar h3 code {
    font-family: var(--_mono);
  }
  .count {
    font-family: var(--_mono);
    color: var(--_muted);
    min-width: 9em;
  }
  .bar button,
  .detail button {
    padding: 3px 12px;
    border: 1px solid var(--_border);
    border-radius: 999px;
    background: var(--_surface);
    color: var(--_fg);
    cursor: pointer;
  }
  .bar button:hover,
  .detail button:hover {
    border-color: var(--_accent);
  }
  progress.steps {
    width: 120px;
    accent-color: var(--_accent);
  }
  .status {
    color: var(--_muted);
    font-size: 0.9em;
    margin: 4px 0 8px;
  }
  .grid {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_gap);
  }
  .tile {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 2px;
    padding: 3px;
    border: 1px solid var(--_border);
    border-radius: 6px;
    background: var(--_surface);
    color: var(--_muted);
    font-size: 0.75em;
    cursor: pointer;
  }
  .tile[aria-pressed='true'] {
    border-color: var(--_accent);
    box-shadow: 0 0 0 1px var(--_accent);
  }
  .tile canvas {
    width: var(--_fv-tile);
    height: var(--_fv-tile);
    background: #777;
    border-radius: 3px;
  }
  .detail {
    display: flex;
    flex-wrap: wrap;
    gap: 16px;
    margin-top: 12px;
    padding: 12px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  .detail figure {
    margin: 0;
  }
  .detail .large {
    width: var(--_fv-detail);
    height: var(--_fv-detail);
    background: #777;
    display: block;
  }
  .detail figcaption {
    font-size: 0.85em;
    color: var(--_muted);
    margin-top: 4px;
  }
  .examples {
    flex: 1 1 260px;
    min-width: 0;
  }
  .examples h4 {
    margin: 0 0 8px;
    font-size: 0.9rem;
    font-weight: 600;
  }
  .examples ol {
    list-style: none;
    padding: 0;
    margin: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
  }
  .examples li {
    display: flex;
    flex-direction: column;
    align-items: center;
    font-family: var(--_mono);
    font-size: 0.75em;
    color: var(--_muted);
  }
  .examples canvas {
    width: var(--_fv-example);
    height: var(--_fv-example);
    object-fit: contain;
    background: #000;
  }
  .detail .close {
    align-self: flex-start;
    margin-left: auto;
  }
`;
