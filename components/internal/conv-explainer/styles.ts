import { css } from 'lit';

export const explainerStyles = css`
  :host {
    --_cell: var(--cnn-explainer-cell, 34px);
    --_map: var(--cnn-explainer-map-size, 280px);
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 8px 14px;
    align-items: center;
    margin-bottom: 10px;
    font-size: 0.9em;
  }
  .controls label {
    display: inline-flex;
    gap: 6px;
    align-items: center;
  }
  select,
  input[type='number'] {
    font: inherit;
    padding: 2px 4px;
    border: 1px solid var(--_border);
    border-radius: 4px;
    background: var(--_bg);
    color: var(--_fg);
  }
  input[type='number'] {
    width: 5em;
  }
  .buttons {
    display: inline-flex;
    gap: 6px;
  }
  .buttons button {
    border: 1px solid var(--_border);
    background: var(--_surface);
    color: var(--_fg);
    border-radius: 6px;
    padding: 3px 12px;
    cursor: pointer;
  }
  .buttons button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: #fff;
    min-width: 5.5em;
  }
  .geometry {
    color: var(--_muted);
    font-family: var(--_mono);
    font-size: 0.85em;
  }
  .pictures {
    display: flex;
    flex-wrap: wrap;
    gap: 16px;
    align-items: flex-start;
  }
  .pictures figure {
    margin: 0;
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .pictures figcaption {
    font-size: 0.8em;
    color: var(--_muted);
    font-family: var(--_mono);
    max-width: var(--_map);
  }
  .pictures canvas {
    max-width: var(--_map);
    height: auto;
    border: 1px solid var(--_border);
    border-radius: 3px;
    image-rendering: pixelated;
  }
  canvas.output {
    cursor: crosshair;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 12px;
    font-size: 0.8em;
    color: var(--_muted);
    margin: 6px 0 0;
  }
  .legend i {
    display: inline-block;
    width: 12px;
    height: 12px;
    vertical-align: -2px;
    margin-right: 4px;
    border: 1px solid #9aa3b0;
  }
  .legend i.pad {
    background: repeating-linear-gradient(45deg, #e4e7ec 0 2px, #9aa3b0 2px 3px);
  }
  .legend i.win {
    border: 2px solid #2f5fd0;
    background: rgb(214 96 77 / 0.6);
  }
  .arithmetic {
    margin-top: 14px;
    border-top: 1px solid var(--_border);
    padding-top: 10px;
  }
  .arithmetic h4 {
    margin: 0 0 8px;
    font-size: 0.95em;
  }
  .channel {
    margin: 0 0 10px;
    padding: 6px 8px;
    border-radius: 6px;
    border: 1px solid transparent;
  }
  .channel.focus {
    border-color: var(--_accent);
  }
  .channel figcaption {
    font-size: 0.8em;
    margin-bottom: 4px;
  }
  .link {
    border: 0;
    padding: 0;
    background: none;
    color: var(--_accent);
    cursor: pointer;
    font-family: var(--_mono);
  }
  .grids {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
  }
  .grid-label {
    display: block;
    font-size: 0.72em;
    color: var(--_muted);
    margin-bottom: 2px;
  }
  .grid {
    display: inline-grid;
    gap: 1px;
    font-family: var(--_mono);
    font-size: 10px;
    line-height: 1;
  }
  .cell {
    min-width: var(--_cell);
    padding: 3px 2px;
    text-align: right;
    border-radius: 2px;
    font-variant-numeric: tabular-nums;
  }
  .cell.pad {
    background: repeating-linear-gradient(45deg, #e4e7ec 0 3px, #cfd5dd 3px 5px);
    color: #5b6575;
  }
  .cell.won {
    outline: 2px solid #e8590c;
    outline-offset: -2px;
  }
  .op {
    font-size: 1.2em;
    color: var(--_muted);
  }
  .subtotal,
  .others {
    font-family: var(--_mono);
    font-size: 0.85em;
  }
  .others {
    color: var(--_muted);
    margin: 0 0 8px;
  }
  .ending {
    display: grid;
    grid-template-columns: max-content max-content;
    gap: 2px 14px;
    margin: 8px 0 0;
    font-size: 0.9em;
  }
  .ending > div {
    display: contents;
  }
  .ending dt {
    color: var(--_muted);
  }
  .ending dd {
    margin: 0;
  }
  .num {
    font-family: var(--_mono);
    font-variant-numeric: tabular-nums;
  }
  .result dt,
  .result dd {
    font-weight: 600;
    color: var(--_fg);
  }
  .engine.ok .verdict {
    color: #1b7f3b;
  }
  .engine.bad .verdict {
    color: var(--_error);
  }
  table.terms {
    border-collapse: collapse;
    font-size: 0.85em;
  }
  table.terms caption {
    text-align: left;
    color: var(--_muted);
    padding-bottom: 4px;
  }
  table.terms th,
  table.terms td {
    padding: 2px 8px;
    text-align: right;
  }
  table.terms td:first-child {
    text-align: left;
    font-family: var(--_mono);
  }
  td.bar {
    width: 120px;
  }
  td.bar span {
    display: block;
    height: 10px;
    border-radius: 2px;
  }
  .logits {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 10px;
    font-family: var(--_mono);
    font-size: 0.8em;
    color: var(--_muted);
  }
  .logits .mine {
    color: var(--_fg);
    font-weight: 600;
  }
  .status {
    color: var(--_muted);
    font-size: 0.9em;
  }
`;
