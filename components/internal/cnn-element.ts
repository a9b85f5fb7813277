/**
 * What every cnn-* element shares, so that each says things the same way: the no-WebGPU notice
 * (one text, shown instead of the element's content), errors shown in place and fired as
 * `cnn-error`, events that bubble out of shadow roots, and loading a model with a progress bar.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { DeviceLostError, WebGpuUnavailableError } from '../../src/index.js';
import { hasWebGpu, loadModelFiles, onEngineLost, probeAdapter, sharedModel, NO_ADAPTER, NO_WEBGPU, type Model } from './shared-engine.js';
import { parseInputSize } from './attributes.js';
import { errorNotice, lostNotice, unsupportedNotice, type GpuLoss } from './notice.js';
import { messageOf } from './errors.js';
import { common, LangController } from './i18n.js';
import { UrlStateSync, withState, type Fields } from './url-state.js';

/** The detail of every `cnn-error`: what failed in words, in which phase, and the error itself. */
export interface CnnErrorDetail<Phase extends string = string> {
  message: string;
  phase: Phase;
  error: unknown;
}

/** An error shown in place: a heading saying what failed, and the reason. */
export interface Problem {
  title: string;
  message: string;
}

export class CnnElement extends LitElement {
  /** False for an element that works without WebGPU (cnn-image-input): it never shows the notice. */
  protected readonly needsWebGpu: boolean = true;

  /** Why WebGPU cannot be used here, once known; the element then renders `renderUnsupported()` alone. */
  @state() protected unsupported = '';
  /** The error shown in place above the content (`renderProblem()`), or null. */
  @state() protected problem: Problem | null = null;
  /** How much of the model has loaded, in [0, 1], while `loadSharedModel` waits. */
  @state() protected loadProgress = 0;
  /** Where the element is after the page's GPU device was lost (null: it was not); shown by `renderProblem()`. */
  @state() protected gpuLoss: GpuLoss | null = null;

  private modelLoad: AbortController | null = null;
  private stopLossWatch: (() => void) | null = null;

  /** Re-renders the element when its language changes (its own `lang`, an ancestor's, the page's). */
  protected readonly langController = new LangController(this);

  /**
   * Opt-in shareable state: with this attribute the element keeps what the reader chose in the page
   * URL's fragment and restores it from there, under the attribute's value as a namespace (empty:
   * the element's id, else its tag name). See `urlFields`.
   */
  @property({ attribute: 'url-state' }) urlState: string | null = null;

  private readonly urlSync = new UrlStateSync(this, {
    urlNamespace: () => (this.urlState === null ? null : this.urlState || this.id || this.localName),
    urlFields: () => this.urlFields(),
    restoreUrlFields: (fields) => this.restoreUrlFields(fields),
  });

  /** The page's URL with this element's state in its fragment (its current state, written now). */
  shareLink(): string {
    const ns = this.urlState === null ? null : this.urlState || this.id || this.localName;
    if (!ns) return location.href;
    const hash = withState(ns, this.urlFields());
    return `${location.origin}${location.pathname}${location.search}${hash ? `#${hash}` : ''}`;
  }

  /** Writes the element's state into the fragment now (it is otherwise written after each update). */
  writeUrlState(): void {
    this.urlSync.write();
  }

  /** The element's shareable state, by field name ('' or null: not written). Elements override it. */
  protected urlFields(): Fields {
    return {};
  }

  /** Takes back fields read from the fragment (strings, possibly bad: check them). Elements override it. */
  protected restoreUrlFields(_fields: Record<string, string>): void {}

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.needsWebGpu || this.unsupported) return;
    this.stopLossWatch ??= onEngineLost((error) => void this.onGpuLost(error));
    if (!hasWebGpu()) {
      this.showUnsupported(new WebGpuUnavailableError(NO_WEBGPU));
      return;
    }
    // navigator.gpu can exist with no adapter behind it: ask now rather than when the reader presses Start.
    void probeAdapter().then((ok) => {
      if (!ok && !this.unsupported && this.isConnected) this.showUnsupported(new WebGpuUnavailableError(NO_ADAPTER));
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.modelLoad?.abort();
    this.stopLossWatch?.();
    this.stopLossWatch = null;
  }

  /**
   * The page's GPU device was lost: say so, fire `cnn-error` (phase 'gpu-lost'), and start again on
   * a new engine where the element can (`restartAfterLoss`).
   */
  private async onGpuLost(error: DeviceLostError): Promise<void> {
    if (this.unsupported) return;
    this.gpuLoss = 'restarting';
    this.emitError('gpu-lost', error);
    try {
      const restarted = await this.restartAfterLoss(error);
      this.gpuLoss = restarted === null ? null : restarted ? 'restarted' : 'lost';
    } catch (err) {
      this.gpuLoss = 'lost';
      this.handleFailure('gpu-lost', err, common.msg(this, 'gpuLostTitle'));
    }
  }

  /**
   * Starts again after the GPU was lost (everything this element held on it is unusable; the shared
   * engine and models are already forgotten, so loading again makes new ones). Elements that load
   * their model by URL reload it and redraw here; resolve false where there is nothing to start
   * again from (a model given by script), and the element keeps saying the GPU was lost; null where
   * it held nothing on the GPU (no notice stays). The default: null.
   */
  protected async restartAfterLoss(_error: DeviceLostError): Promise<boolean | null> {
    return null;
  }

  /**
   * Elements with a reflected `state` set it here; the base calls it with 'loading' (a model load
   * begins) and 'unsupported' (before cnn-error fires, so listeners already see it).
   */
  protected setState(_next: string): void {}

  /** Fires `type` the way every element does: bubbling out of shadow roots, with a detail. */
  protected emit<T>(type: string, detail: T): boolean {
    return this.dispatchEvent(new CustomEvent<T>(type, { bubbles: true, composed: true, detail }));
  }

  /** Fires `cnn-error` for `error` in `phase`, its message in words. */
  protected emitError(phase: string, error: unknown): void {
    this.emit<CnnErrorDetail>('cnn-error', { message: messageOf(error), phase, error });
  }

  /** Shows `error` in place under `title` and fires `cnn-error`. */
  protected showProblem(phase: string, error: unknown, title: string): void {
    // The lost-GPU notice (renderProblem) says it once for the whole element, whatever was running.
    if (error instanceof DeviceLostError) {
      this.gpuLoss ??= 'lost';
      this.emitError(phase, error);
      return;
    }
    this.problem = { title, message: messageOf(error) };
    this.emitError(phase, error);
  }

  /** From now on the element shows the no-WebGPU notice; fires `cnn-error` with phase 'webgpu'. */
  protected showUnsupported(error: WebGpuUnavailableError): void {
    this.unsupported = error.reason;
    this.setState('unsupported');
    this.emitError('webgpu', error);
  }

  /** The notice when WebGPU is missing, else `showProblem`. */
  protected handleFailure(phase: string, error: unknown, title: string): void {
    if (error instanceof WebGpuUnavailableError) this.showUnsupported(error);
    else this.showProblem(phase, error, title);
  }

  /**
   * The [height, width] an ONNX model with a free input size is built at: the `input-size`
   * attribute ("224" or "224 224") where there is one, else ImageNet's 224×224 (a fixed size in the
   * file wins). Elements that know their image override it.
   */
  protected modelInputSize(): readonly [number, number] | undefined {
    return parseInputSize(this.getAttribute('input-size')) ?? [224, 224];
  }

  /**
   * The page's shared copy of the model at `url` (`.onnx` or a TF.js model.json), with
   * `loadProgress` following the download and the state 'loading'. Resolves null when a newer load,
   * `cancelModelLoad()` or leaving the page ended this element's wait (the download goes on for the
   * others).
   */
  protected loadSharedModel(url: string): Promise<Model | null> {
    return this.waitForModel((opts) => sharedModel(url, opts));
  }

  /**
   * A model from dropped or picked files (a `.onnx` with its external data files, or a model.json
   * with its shards), with the same progress, state and cancelling as `loadSharedModel`.
   */
  protected loadFileModel(files: FileList | readonly File[]): Promise<Model | null> {
    return this.waitForModel((opts) => loadModelFiles(files, opts));
  }

  private async waitForModel(load: (opts: { signal: AbortSignal; onProgress: (f: number) => void; inputSize?: readonly [number, number] }) => Promise<Model>): Promise<Model | null> {
    this.modelLoad?.abort();
    const abort = new AbortController();
    this.modelLoad = abort;
    this.problem = null;
    this.loadProgress = 0;
    this.setState('loading');
    try {
      const model = await load({ signal: abort.signal, onProgress: (f) => (this.loadProgress = f), inputSize: this.modelInputSize() });
      return abort.signal.aborted ? null : model;
    } catch (err) {
      if (abort.signal.aborted) return null;
      throw err;
    }
  }

  /** Stops waiting for a model `loadSharedModel` asked for (a model given directly replaces it). */
  protected cancelModelLoad(): void {
    this.modelLoad?.abort();
  }

  protected renderUnsupported(): TemplateResult {
    return unsupportedNotice(this.unsupported, common.strings(this));
  }

  protected renderProblem(): TemplateResult | typeof nothing {
    const problem = this.problem ? errorNotice(this.problem.title, this.problem.message) : nothing;
    return this.gpuLoss ? html`${lostNotice(this.gpuLoss, common.strings(this))}${problem}` : problem;
  }

  protected renderLoading(): TemplateResult {
    const t = common.strings(this);
    return html`<div class="progress" part="progress" role="status">
      <progress max="1" .value=${this.loadProgress} aria-label=${t('loadingModel')}></progress>
      <span>${t('loadingModelPercent', { percent: Math.round(this.loadProgress * 100) })}</span>
    </div>`;
  }
}
