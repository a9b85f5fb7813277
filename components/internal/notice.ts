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

/** After the GPU was lost: starting again on a new device, started again, or not able to (nothing to reload). */
export type GpuLoss = 'restarting' | 'restarted' | 'lost';

/** The short line an element shows once the page's GPU device was lost. */
export function lostNotice(loss: GpuLoss, t: Strings<CommonKey>): TemplateResult {
  const said = loss === 'restarting' ? t('gpuLostRestarting') : loss === 'restarted' ? t('gpuLostRestarted') : t('gpuLostStays');
  return html`<p class="notice gpu-lost" part="notice gpu-lost" role="status" data-loss=${loss}><strong>${t('gpuLostTitle')}</strong> ${said}</p>`;
}
