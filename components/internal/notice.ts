/**
 * The in-place notices: no WebGPU (which browsers work), and errors (what failed, in words). Each is
 * a styled box with a heading, never a blank element.
 */
import { html, type TemplateResult } from 'lit';
import { BROWSERS_THAT_WORK } from './shared-engine.js';

export function unsupportedNotice(reason: string): TemplateResult {
  return html`<div class="notice" part="notice" role="note" aria-label="WebGPU is not available">
    <h3>This needs WebGPU</h3>
    <p>${reason} The network runs on the GPU, so nothing can be shown here.</p>
    <p>It works in ${BROWSERS_THAT_WORK}</p>
    ${globalThis.isSecureContext === false ? html`<p>WebGPU is only offered to secure pages: open this page over HTTPS or from localhost.</p>` : ''}
  </div>`;
}

export function errorNotice(title: string, message: string): TemplateResult {
  return html`<div class="notice error" part="notice error" role="alert">
    <h3>${title}</h3>
    <pre>${message}</pre>
  </div>`;
}
