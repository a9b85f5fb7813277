import { css } from 'lit';

export const invarianceStyles = css`
  :host {
    --_plot: var(--cnn-plot-width, 460px);
    --_frame: var(--cnn-frame-size, 112px);
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 8px 16px;
    align-items: center;
    margin-bottom: 10px;
    font-size: 0.9em;
  }
  .controls label {
    display: inline-flex;
    gap: 6px;
    align-items: center;
  }
  select {
    font: inherit;
    padding: 2px 4px;
    border: 1px solid var(--_border);
    border-radius: 4px;
    background: var(--_bg);
    color: var(--_fg);
  }
  input[type='range'] {
    width: min(320px, 60vw);
    accent-color: var(--_accent);
  }
  .value {
    font-family: var(--_mono);
    min-width: 7em;
  }
  .body {
    display: flex;
    flex-wrap: wrap;
    gap: 18px;
    align-items: flex-start;
  }
  .charts {
    display: flex;
    flex-direction: column;
    gap: 14px;
    max-width: var(--_plot);
    flex: 1 1 400px;
  }
  figure {
    margin: 0;
  }
  figcaption {
    font-size: 0.82em;
    color: var(--_muted);
    margin-bottom: 4px;
  }
  svg {
    width: 100%;
    height: auto;
    display: block;
    font-family: var(--_font);
    overflow: visible;
  }
  svg .grid {
    stroke: var(--_border);
    stroke-width: 1;
  }
  svg .tick,
  svg .unit,
  svg .row-name {
    font-size: 10px;
    fill: var(--_muted);
  }
  svg .row-name {
    font-family: var(--_mono);
    font-size: 9px;
  }
  svg .marker {
    stroke: var(--_fg);
    stroke-dasharray: 3 3;
    stroke-width: 1;
  }
  svg .column {
    stroke: #e8590c;
    stroke-width: 2;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    font-size: 0.82em;
    margin: 4px 0 0;
    padding: 0;
    list-style: none;
  }
  .legend i {
    display: inline-block;
    width: 14px;
    height: 3px;
    vertical-align: middle;
    margin-right: 5px;
    border-radius: 2px;
  }
  .legend .ramp {
    width: 80px;
    height: 8px;
  }
  .scrubbed {
    display: flex;
    flex-direction: column;
    gap: 10px;
    flex: 1 1 200px;
    min-width: 200px;
  }
  .frames {
    display: flex;
    gap: 12px;
    flex-wrap: wrap;
  }
  .frames canvas {
    width: var(--_frame);
    height: auto;
    border: 1px solid var(--_border);
    border-radius: 3px;
    display: block;
  }
  .readout {
    font-size: 0.9em;
  }
  .readout ol {
    margin: 4px 0 0;
    padding-left: 1.2em;
  }
  .readout .pct {
    font-family: var(--_mono);
    color: var(--_muted);
    margin-left: 6px;
  }
  .maps figure {
    margin-bottom: 8px;
  }
  .maps .tiles {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 3px;
    margin-bottom: 3px;
  }
  .maps .row-label {
    font-size: 0.72em;
    color: var(--_muted);
    width: 100%;
  }
  .maps canvas {
    width: var(--cnn-map-tile-size, 44px);
    height: auto;
    border-radius: 2px;
  }
  .status {
    color: var(--_muted);
    font-size: 0.9em;
  }
`;
