import { css } from 'lit';

export const kernelBenchStyles = css`
  .base {
    display: grid;
    gap: 12px;
  }
  form {
    display: flex;
    flex-wrap: wrap;
    gap: 10px 16px;
    align-items: end;
    padding: 12px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  label {
    display: grid;
    gap: 3px;
    font-size: 0.85em;
    color: var(--_muted);
  }
  input[type='text'],
  input[type='number'] {
    font: inherit;
    font-size: 0.95rem;
    padding: 4px 6px;
    border: 1px solid var(--_border);
    border-radius: 4px;
    color: var(--_fg);
    background: var(--_bg);
  }
  input[type='number'] {
    width: 5em;
  }
  fieldset {
    border: 0;
    padding: 0;
    margin: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 4px 12px;
    font-size: 0.85em;
  }
  fieldset legend {
    color: var(--_muted);
    margin-bottom: 3px;
  }
  fieldset label {
    display: inline-flex;
    gap: 4px;
    align-items: center;
    color: var(--_fg);
  }
  .actions {
    display: flex;
    gap: 8px;
  }
  button {
    padding: 6px 14px;
    border-radius: 6px;
    border: 1px solid var(--_accent);
    background: var(--_accent);
    color: #fff;
    cursor: pointer;
  }
  button.secondary {
    background: var(--_bg);
    color: var(--_accent);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .head {
    font-size: 0.9em;
    color: var(--_muted);
    margin: 0;
  }
  .head strong {
    color: var(--_fg);
  }
  table {
    border-collapse: collapse;
    font-size: 0.85em;
    font-variant-numeric: tabular-nums;
  }
  caption {
    text-align: left;
    color: var(--_muted);
    padding: 4px 0;
  }
  th,
  td {
    border-bottom: 1px solid var(--_border);
    padding: 3px 8px;
    text-align: left;
    white-space: nowrap;
  }
  td.num,
  td.ratio {
    text-align: right;
  }
  td.dims {
    font-family: var(--_mono);
    font-size: 0.9em;
  }
  td.win {
    color: #1e7a4d;
    font-weight: 600;
  }
  td.loss {
    color: var(--_error);
    font-weight: 600;
  }
  tr.total th,
  tr.total td {
    border-top: 2px solid var(--_border);
  }
  .scroll {
    overflow-x: auto;
    max-width: 100%;
  }
  .chart {
    max-width: 100%;
    height: auto;
    font-family: var(--_font);
  }
  .chart .grid {
    stroke: var(--_border);
  }
  .chart .axis {
    stroke: var(--_fg);
  }
  .chart text {
    font-size: 11px;
    fill: var(--_fg);
  }
  .chart .tick,
  .chart .none {
    fill: var(--_muted);
  }
  .legend {
    list-style: none;
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    padding: 0;
    margin: 0;
    font-size: 0.85em;
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    margin-right: 5px;
    border-radius: 2px;
  }
  .copied {
    font-size: 0.85em;
    color: var(--_muted);
  }
  .hint {
    flex-basis: 100%;
    margin: 0;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .problems {
    margin: 8px 0;
  }
  .problems ul {
    margin: 4px 0 0;
    padding-left: 1.2em;
    font-size: 0.9em;
    overflow-wrap: anywhere;
  }
  .tabs {
    display: flex;
    gap: 4px;
    margin-bottom: 8px;
    border-bottom: 1px solid var(--_border);
  }
  .tabs button[role='tab'] {
    background: transparent;
    color: var(--_fg);
    border: 1px solid transparent;
    border-bottom: none;
    border-radius: var(--_radius) var(--_radius) 0 0;
  }
  .tabs button[aria-selected='true'] {
    border-color: var(--_border);
    background: var(--_surface);
    font-weight: 600;
  }
  .models-chart {
    margin: 8px 0;
    overflow-x: auto;
  }
  .models-chart svg {
    max-width: 100%;
    height: auto;
  }
`;
