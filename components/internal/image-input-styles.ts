/** The image input's own styles (the shared tokens come from theme.ts). */
import { css } from 'lit';

export const imageInputStyles = css`
  :host {
    background: transparent;
  }
  [role='tablist'] {
    display: flex;
    gap: 4px;
    margin-bottom: 8px;
  }
  [role='tab'],
  .button {
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_fg);
    border-radius: 6px;
    padding: 4px 12px;
    cursor: pointer;
    font-size: 0.9em;
  }
  [role='tab'][aria-selected='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: #fff;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    align-items: center;
    margin: 6px 0;
  }
  input[type='text'] {
    flex: 1;
    min-width: 10em;
    font: inherit;
    font-size: 0.9em;
    padding: 4px 6px;
    border: 1px solid var(--_border);
    border-radius: 6px;
  }
  .drop {
    border: 2px dashed var(--_border);
    border-radius: var(--_radius);
    padding: 10px;
    text-align: center;
    color: var(--_muted);
    font-size: 0.85em;
  }
  .drop.over {
    border-color: var(--_accent);
    color: var(--_accent);
  }
  .pad {
    width: var(--cnn-pad-size, 200px);
    height: var(--cnn-pad-size, 200px);
    touch-action: none;
    border-radius: var(--_radius);
    border: 1px solid var(--_border);
    cursor: crosshair;
    display: block;
  }
  .preview {
    width: 96px;
    height: auto;
    border-radius: 4px;
    border: 1px solid var(--_border);
    background: #000;
    display: block;
  }
  .notice {
    max-width: 22em;
    margin: 6px 0;
    font-size: 0.9em;
  }
  video {
    width: var(--cnn-pad-size, 200px);
    border-radius: var(--_radius);
    background: #000;
    display: block;
  }
  .message {
    overflow-wrap: anywhere;
    font-size: 0.85em;
    color: var(--_muted);
    margin: 4px 0 0;
  }
  .message.error {
    color: var(--_error);
  }
  .file:focus-within {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
`;
