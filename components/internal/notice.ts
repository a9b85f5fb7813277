/**
 * The in-place notices: no WebGPU (which browsers work), and errors (what failed, in words). Each is
 * a styled box with a heading, never a blank element.
 */
import { html, type TemplateResult } from 'lit';
import { common, type Strings } from './i18n.js';
import { NO_ADAPTER, NO_WEBGPU } from './shared-engine.js';

type CommonKey = Parameters<typeof common.msg>[1];

/** The notice in `t`'s language; the reason is translated where it is the missing-navigator.gpu one. */
export function unsupportedNotice(reason: string, t: Strings<CommonKey>): TemplateResult {
  const why = reason === NO_WEBGPU ? t('noNavigatorGpu') : reason === NO_ADAPTER ? t('noAdapter') : reason;
  return html`<div class="notice" part="notice" role="note" aria-label=${t('webGpuUnavailable')}>
    <h3>${t('needsWebGpu')}</h3>
    <p>${why} ${t('nothingShown')}</p>
    <p>${t('browsersThatWork')}</p>
    ${globalThis.isSecureContext === false ? html`<p>${t('secureOnly')}</p>` : ''}
  </div>`;
}

export function errorNotice(title: string, message: string): TemplateResult {
  return html`<div class="notice error" part="notice error" role="alert">
    <h3>${title}</h3>
    <pre>${message}</pre>
  </div>`;
}
