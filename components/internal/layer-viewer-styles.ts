/** The layer viewer's own styles (the shared tokens come from theme.ts). */
import { css } from 'lit';

export const layerViewerStyles = css`
  .top {
    display: flex;
    flex-wrap: wrap;
    gap: 16px;
    align-items: flex-start;
    margin-bottom: 12px;
  }
  figure {
    margin: 0;
  }
  figcaption {
    color: var(--_muted);
    font-size: 0.85em;
    margin-top: 4px;
  }
  .input-box {
    position: relative;
    line-height: 0;
  }
  .receptive-field {
    position: absolute;
    box-sizing: border-box;
    border: 2px solid var(--_accent);
    outline: 1px solid #fff;
    pointer-events: none;
  }
  .input canvas {
    width: var(--cnn-input-size, 160px);
    height: auto;
    border-radius: var(--_radius);
    border: 1px solid var(--_border);
    background: #000;
    display: block;
  }
  .predictions ol {
    list-style: none;
    margin: 0;
    padding: 0;
    min-width: 220px;
  }
  .predictions li {
    display: grid;
    grid-template-columns: minmax(3em, auto) 1fr 4.5em;
    gap: 8px;
    align-items: center;
    font-size: 0.9em;
    padding: 2px 0;
  }
  .predictions li:first-child {
    font-weight: 600;
  }
  .bar {
    height: 10px;
    border-radius: 5px;
    background: var(--_surface);
    overflow: hidden;
  }
  .bar span {
    display: block;
    height: 100%;
    background: var(--_accent);
  }
  .pct {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .layers {
    display: flex;
    flex-direction: column;
    gap: 14px;
  }
  .layer header {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 4px 12px;
    margin-bottom: 6px;
    font-size: 0.9em;
  }
  .layer h3 {
    margin: 0;
    font-size: 1em;
    font-family: var(--_mono);
  }
  .meta {
    color: var(--_muted);
    font-variant-numeric: tabular-nums;
  }
  .legend,
  .legend > span {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    color: var(--_muted);
    font-size: 0.85em;
  }
  .legend > span {
    font-size: 1em;
  }
  .count {
    display: inline-flex;
    align-items: baseline;
    gap: 6px;
    color: var(--_fg);
  }
  .kind {
    color: var(--_fg);
    font-weight: 600;
  }
  .more {
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_accent);
    border-radius: 4px;
    padding: 0 8px;
    font: inherit;
    font-size: 0.9em;
    cursor: pointer;
  }
  .legend i {
    display: inline-block;
    width: 72px;
    height: 8px;
    border-radius: 2px;
  }
  .tiles {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_gap);
  }
  .tile {
    position: relative;
    padding: 0;
    border: 1px solid var(--_border);
    border-radius: 4px;
    background: var(--_surface);
    cursor: zoom-in;
    line-height: 0;
  }
  .tile canvas {
    width: var(--_tile);
    height: auto;
    display: block;
    border-radius: 3px;
  }
  .tile.vector canvas {
    width: min(100%, calc(var(--_tile) * 6));
    height: 16px;
  }
  .tile.vector {
    flex: 1 1 100%;
    max-width: calc(var(--_tile) * 6 + 2px);
  }
  /* The channel's number sits under its map, never on it: on a 4×4 or 2×2 map a badge would hide a cell. */
  .tile .ch {
    display: block;
    font: 10px/1.3 var(--_mono);
    color: var(--_muted);
    text-align: center;
  }
  .tile .classes {
    display: grid;
    font: 10px/1.4 var(--_mono);
    color: var(--_muted);
    text-align: center;
  }
  .tile .classes span {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .tile[aria-pressed='true'] {
    border-color: var(--_accent);
    box-shadow: 0 0 0 2px var(--_accent);
  }
  .detail {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    padding: 12px;
    max-width: calc(var(--cnn-detail-size, 240px) + 26px);
  }
  .detail canvas {
    width: var(--cnn-detail-size, 240px);
    height: auto;
    display: block;
    border-radius: 4px;
    border: 1px solid var(--_border);
    background: #000;
  }
  .detail .map {
    position: relative;
    line-height: 0;
  }
  .detail .map canvas {
    cursor: crosshair;
  }
  .cursor {
    position: absolute;
    border: 1px solid #fff;
    outline: 1px solid #000;
    pointer-events: none;
  }
  .detail-head {
    display: flex;
    align-items: baseline;
    justify-content: space-between;
    gap: 12px;
    margin-bottom: 8px;
  }
  .detail-head h3 {
    margin: 0;
    font-size: 1em;
  }
  .readout {
    display: block;
    line-height: 1.4;
    margin-top: 8px;
    font-family: var(--_mono);
    font-size: 0.9em;
    min-height: 1.4em;
  }
  .looks-for-ask {
    margin-top: 10px;
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: inherit;
    font: inherit;
    font-size: 0.9em;
    border-radius: 4px;
    padding: 4px 10px;
    cursor: pointer;
  }
  /* One channel's optimised image and its dataset examples, fitted inside the opened tile's column. */
  .detail cnn-feature-vis {
    display: block;
    margin-top: 10px;
    --cnn-tile-size: 56px;
    --cnn-detail-size: 112px;
  }
  .readout.hint {
    font-family: inherit;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .close {
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_fg);
    border-radius: 4px;
    padding: 2px 10px;
    cursor: pointer;
  }
  .status {
    color: var(--_muted);
    font-size: 0.9em;
    margin: 4px 0 8px;
  }
  .warning {
    color: var(--_error);
    font-size: 0.9em;
  }
`;
