import { css } from 'lit';

export const attributionStyles = css`
  :host {
    --_at-size: var(--cnn-input-size, 240px);
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
    max-width: 16em;
  }
  input[type='range'] {
    width: 120px;
    accent-color: var(--_accent);
  }
  .body {
    display: flex;
    flex-wrap: wrap;
    gap: 16px;
    align-items: flex-start;
  }
  figure {
    margin: 0;
  }
  .stack {
    position: relative;
    width: var(--_at-size);
    height: var(--_at-size);
    background: #000;
    border-radius: 4px;
    overflow: hidden;
  }
  .stack canvas {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
  }
  .side {
    flex: 1 1 220px;
    min-width: 0;
    font-size: 0.9em;
    line-height: 1.45;
  }
  .side p {
    margin: 0 0 8px;
  }
  .legend {
    display: grid;
    grid-template-columns: auto 1fr auto;
    align-items: center;
    gap: 6px;
    max-width: 320px;
    font-family: var(--_mono);
    font-size: 0.8em;
    color: var(--_muted);
  }
  .ramp {
    height: 12px;
    border-radius: 3px;
    border: 1px solid var(--_border);
  }
  .legend .words {
    grid-column: 1 / -1;
    display: flex;
    justify-content: space-between;
    font-family: var(--_font);
  }
  .status {
    color: var(--_muted);
    font-size: 0.9em;
  }
`;
