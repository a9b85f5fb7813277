/** The trainer's own styles (the shared tokens come from theme.ts). */
import { css } from 'lit';

export const trainerStyles = css`
  :host {
    --_train: var(--cnn-train-color, var(--_accent));
    --_test: var(--cnn-test-color, #d9480f);
    --_plot-height: var(--cnn-plot-height, 170px);
    --_filter: var(--cnn-filter-size, 48px);
    --_map: var(--cnn-map-size, 56px);
    --_digit: var(--cnn-digit-size, 84px);
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 10px 14px;
    align-items: flex-end;
    margin: 0 0 8px;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 3px;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .field select,
  .field input {
    font: inherit;
    font-size: 1rem;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 6px;
    padding: 4px 6px;
  }
  .field input {
    width: 7em;
  }
  .data {
    margin: 0 0 10px;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .data code {
    font-family: var(--_mono);
  }
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin-bottom: 8px;
  }
  .buttons button {
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_fg);
    border-radius: 6px;
    padding: 6px 16px;
    cursor: pointer;
  }
  .buttons button.start {
    background: var(--_accent);
    border-color: var(--_accent);
    color: #fff;
  }
  .buttons button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  .meter {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px 12px;
    font-size: 0.85em;
    color: var(--_muted);
    font-variant-numeric: tabular-nums;
  }
  .bar {
    flex: 1 1 240px;
    max-width: 420px;
    height: 10px;
    border-radius: 5px;
    background: var(--_surface);
    border: 1px solid var(--_border);
    overflow: hidden;
  }
  .bar span {
    display: block;
    height: 100%;
    background: var(--_accent);
    transition: width 0.2s linear;
  }
  .status {
    margin: 6px 0 12px;
    min-height: 1.4em;
  }
  .charts {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(240px, 1fr));
    gap: 12px;
    margin-bottom: 14px;
  }
  figure {
    margin: 0;
  }
  figcaption,
  h4 {
    color: var(--_muted);
    font-size: 0.85em;
    font-weight: normal;
    margin: 0 0 4px;
  }
  canvas.plot {
    display: block;
    width: 100%;
    height: var(--_plot-height);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
  }
  .live {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
    gap: 18px;
    align-items: start;
  }
  .tiles {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_gap);
  }
  .filters .tiles {
    max-width: calc(8 * (var(--_filter) + var(--_gap)));
  }
  canvas.filter {
    width: var(--_filter);
    height: auto;
    border: 1px solid var(--_border);
    border-radius: 3px;
  }
  .digit-row {
    display: flex;
    gap: 10px;
    align-items: center;
    margin-bottom: 8px;
  }
  canvas.digit {
    width: var(--_digit);
    height: auto;
    background: #000;
    border-radius: 4px;
  }
  .prediction {
    font-size: 0.9em;
  }
  .prediction strong {
    font-size: 1.4em;
  }
  .maps + .maps {
    margin-top: 8px;
  }
  canvas.map {
    width: var(--_map);
    height: auto;
    border-radius: 3px;
  }
  .placeholder {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .preset-about {
    margin: 0 0 8px;
    font-size: 0.85em;
    color: var(--_muted);
    max-width: 70ch;
  }
  .preset-about strong {
    color: var(--_fg);
    font-family: var(--_mono);
  }
  .timeline {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px 12px;
    margin: 4px 0 8px;
    font-size: 0.9em;
  }
  .timeline .scrub {
    flex: 1 1 200px;
    accent-color: var(--_accent);
  }
  .timeline button {
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_fg);
    border-radius: 6px;
    padding: 3px 12px;
    cursor: pointer;
  }
  .timeline button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .timeline .when {
    font-variant-numeric: tabular-nums;
    color: var(--_muted);
    min-width: 9em;
  }
  .past {
    margin: 0 0 8px;
    font-size: 0.85em;
    color: var(--_accent);
  }
  .confusion {
    overflow-x: auto;
    max-width: 100%;
  }
  .confusion table {
    border-collapse: collapse;
    font: 11px/1 var(--_mono);
    font-variant-numeric: tabular-nums;
  }
  .confusion th,
  .confusion td {
    padding: 2px 3px;
    text-align: right;
    min-width: 1.9em;
  }
  .confusion th {
    color: var(--_muted);
    font-weight: 600;
  }
  .confusion th.corner {
    font-weight: normal;
    font-size: 10px;
    white-space: nowrap;
  }
  .confusion td.right {
    background: color-mix(in srgb, var(--_accent) calc(var(--share) * 85%), transparent);
  }
  .confusion td.wrong {
    background: color-mix(in srgb, var(--_error) calc(var(--share) * 170%), transparent);
  }
  .confusion td.zero {
    color: var(--_border);
  }
  .confusion td.acc {
    position: relative;
    min-width: 3.6em;
    text-align: left;
  }
  .confusion td.acc .bar {
    position: absolute;
    left: 0;
    top: 3px;
    bottom: 3px;
    background: color-mix(in srgb, var(--_accent) 25%, transparent);
  }
  .confusion td.acc .pct {
    position: relative;
  }
`;
