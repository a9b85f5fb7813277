import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { tokens } from '../theme.js';
import { CnnElement } from '../cnn-element.js';
import { kernelBenchStyles } from './styles.js';
import { ratioChart, chartLegend } from './ratio-chart.js';
import { geomeanTable, problemsList, rowsTable } from './results-table.js';
import { benchText, familyName } from './messages.js';
import type { Fields } from '../url-state.js';
import { installGpuTimer } from '../../../bench/gpu_timer.js';
import { allCases, selectCases, runSuite } from '../../../bench/suite.js';
import { ENGINE_IDS, ENGINE_LABELS, loadEngines } from '../../../bench/engines/load.js';
import { browserName } from '../../../bench/browser.js';
import type { Progress, SuiteResult } from '../../../bench/types.js';
import { modelsView } from './models-view.js';
import { allModelCases, selectModelCases, DEFAULT_ONNX_DIR } from '../../../bench/models/cases.js';
import { findMissing, loadModelEngines, MODEL_BASELINES } from '../../../bench/models/load.js';
import { runModelSuite } from '../../../bench/models/suite.js';
import type { ModelSuiteResult } from '../../../bench/models/types.js';
import type { Engine } from '../../../src/index.js';

export type BenchState = 'idle' | 'unsupported' | 'running' | 'done' | 'error';
export type BenchView = 'kernels' | 'models';

const BASELINES = ENGINE_IDS.slice(1);

/**
 * The kernel benchmark as an element: a reader picks ops, layers and baselines, clicks Run, and gets
 * our kernels timed against TensorFlow.js (WebGPU and CPU), jax-js and ONNX Runtime Web on their own
 * GPU, in their browser: a table, a bar chart of the speed-ups, and the results as JSON to copy.
 * Each engine's output is checked against ours before it is timed. The Models tab (`view="models"`)
 * times whole networks instead: the landmark ONNX CNNs against ONNX Runtime Web (WebGPU and wasm),
 * the face and MNIST networks against TF.js, the viewer's own path and `Model.fit`, with memory.
 *
 * @example
 * <cnn-kernel-bench shapes="lenet,vgg-block" samples="30"></cnn-kernel-bench>
 * <cnn-kernel-bench view="models" models="mnist,squeezenet" samples="5"></cnn-kernel-bench>
 *
 * @fires cnn-bench-progress - After each engine finishes a row. detail: {done, total, caseId, engine, message}
 * @fires cnn-bench-done - The run finished. detail: the result object (meta, rows, geomeanByFamily, geomeanAll, gpuGeomeanByFamily; a Models run: kind 'models', meta, rows, geomeanForward)
 * @fires cnn-error - The run failed, or WebGPU is missing. detail: {message, phase: 'webgpu' | 'run', error}
 * @csspart base - The element's box. @csspart controls - The form. @csspart run - The Run button.
 * @csspart progress - The progress line. @csspart chart - The SVG bar chart. @csspart legend - Its legend.
 * @csspart geomeans - The geometric-mean table. @csspart table - The table of every row. @csspart notice - A notice.
 * @csspart tabs - The Kernels / Models switch. @csspart models-chart - The whole-model chart. @csspart models-table - Its table.
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius - Type and corners.
 */
export class CnnKernelBench extends CnnElement {
  static override styles = [tokens, kernelBenchStyles];

  /** Op families to run, comma-separated (`conv2d`, `conv2d*` for its gradients too, `maxPool`, `matMul`, `trainStep`…); empty: all. */
  @property() ops = '';
  /** Layers to run, comma-separated (`lenet`, `alexnet-b8.conv3`, `vgg-block`, `face.conv64`…); empty: all (slow). */
  @property() shapes = 'lenet';
  /** Baselines, comma-separated, from tfjs-webgpu, jax-webgpu, ort-webgpu, tfjs-cpu. */
  @property() engines = BASELINES.join(',');
  /** Timed samples per measurement. */
  @property({ type: Number }) samples = 30;
  /** Where ONNX Runtime Web's .wasm files are served; empty: the ort/ folder beside this element's script. */
  @property({ attribute: 'ort-wasm-paths' }) ortWasmPaths = '';
  /** Which benchmark the element shows and runs: 'kernels' (ops on layer shapes) or 'models' (whole networks). */
  @property({ reflect: true }) view: BenchView = 'kernels';
  /** Models tab: networks, comma-separated (mnist, face, squeezenet, shufflenet, alexnet, inception_v1, resnet50, densenet121, vgg19, lenet, deeper). */
  @property() models = 'mnist,squeezenet';
  /** Models tab: the folder (from the page's origin) holding the landmark .onnx files. */
  @property({ attribute: 'onnx-dir' }) onnxDir = DEFAULT_ONNX_DIR;
  /** Start a run as soon as the element is connected. */
  @property({ type: Boolean }) autorun = false;

  @state() private status: BenchState = 'idle';
  @state() private progress: Progress | null = null;
  @state() private result: SuiteResult | null = null;
  @state() private modelResult: ModelSuiteResult | null = null;
  @state() private copied: 'copied' | 'downloaded' | '' = '';
  private abort: AbortController | null = null;

  /** Set by the module that registers the element: its own folder's ort/. */
  static defaultOrtWasmPaths = '';

  /** The last result, or null. */
  get results(): SuiteResult | null {
    return this.result;
  }

  /** Shows a result (a run's, or one saved as JSON) as if this element had just measured it. */
  showResult(result: SuiteResult): void {
    this.result = result;
    this.status = 'done';
    this.problem = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.unsupported && this.autorun) void this.run();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  /** Shows a whole-model result (a Models run's, or one saved as JSON) in the Models tab. */
  showModelResult(result: ModelSuiteResult): void {
    this.modelResult = result;
    this.view = 'models';
    this.status = 'done';
    this.problem = null;
  }

  /** Runs the suite with the current settings; resolves with the result (null when stopped or failed). */
  async run(): Promise<SuiteResult | ModelSuiteResult | null> {
    if (this.status === 'running' || this.status === 'unsupported') return null;
    if (this.view === 'models') return this.runModels();
    const cases = selectCases(allCases(), { ops: this.ops, shapes: this.shapes });
    if (cases.length === 0) return this.noCase(this.ops, this.shapes);
    this.result = null;
    const baselines = this.engines.split(',').map((s) => s.trim()).filter(Boolean);
    return this.guarded(cases.length * (1 + baselines.length), async (signal, hold) => {
      const engines = hold(await loadEngines(baselines, { ortWasmPaths: this.ortWasmPaths || CnnKernelBench.defaultOrtWasmPaths || undefined }));
      const ours = (engines[0] as unknown as { engine: Engine }).engine;
      const result = await runSuite(engines, cases, { samples: this.samples }, { adapter: { ...ours.info }, browser: await browserName(), signal, onProgress: this.onProgress });
      this.result = result;
      return result;
    });
  }

  /** The Models tab's run: whole networks on ours and the model baselines (ORT Web, TF.js). */
  private async runModels(): Promise<ModelSuiteResult | null> {
    const base = location.origin + '/';
    const dir = this.onnxDir.replace(/^\/+/, '').replace(/\/?$/, '/');
    const cases = selectModelCases(allModelCases(dir), { models: this.models });
    if (cases.length === 0) return this.noCase('', this.models);
    this.modelResult = null;
    return this.guarded(cases.length * (1 + MODEL_BASELINES.length), async (signal, hold) => {
      const { missing, present } = await findMissing(cases, base);
      const loaded = await loadModelEngines([...MODEL_BASELINES], { ortWasmPaths: this.ortWasmPaths || CnnKernelBench.defaultOrtWasmPaths || undefined, base });
      hold(loaded.engines);
      const result = await runModelSuite(loaded.engines, present, { samples: this.samples, heavySamples: Math.min(this.samples, 3) }, {
        adapter: { ...loaded.ours.info }, browser: await browserName(), signal, missing, onProgress: this.onProgress,
      });
      this.modelResult = result;
      return result;
    });
  }

  private noCase(ops: string, shapes: string): null {
    this.status = 'error';
    this.problem = { title: benchText.msg(this, 'failed'), message: benchText.msg(this, 'noCase', { ops, shapes }) };
    return null;
  }

  /**
   * What both tabs' runs share: the running state and its progress, a Stop that aborts, a failure
   * shown in place, and the engines (given to `hold` as soon as they exist) freed however it ends.
   * Each run makes engines of its own, so a device lost in an earlier run is no matter now.
   */
  private async guarded<R extends SuiteResult | ModelSuiteResult>(
    total: number,
    body: (signal: AbortSignal, hold: <E extends { dispose(): unknown }>(engines: E[]) => E[]) => Promise<R>,
  ): Promise<R | null> {
    this.status = 'running';
    this.problem = null;
    this.gpuLoss = null;
    this.copied = '';
    this.progress = { done: 0, total, caseId: '', engine: '', message: benchText.msg(this, 'starting') };
    const abort = (this.abort = new AbortController());
    installGpuTimer();
    let engines: { dispose(): unknown }[] = [];
    try {
      const result = await body(abort.signal, (held) => (engines = held));
      this.status = 'done';
      this.emit('cnn-bench-done', result);
      return result;
    } catch (err) {
      if (abort.signal.aborted) {
        this.status = 'idle';
        this.progress = null;
        return null;
      }
      this.status = 'error';
      this.showProblem(engines.length ? 'run' : 'webgpu', err, benchText.msg(this, 'failed'));
      return null;
    } finally {
      for (const e of engines) await Promise.resolve(e.dispose()).catch(() => undefined);
      if (this.abort === abort) this.abort = null;
    }
  }

  private onProgress = (p: Progress): void => {
    this.progress = p;
    this.emit('cnn-bench-progress', p);
  };

  /** The run's settings: ops, layers, samples and baselines. */
  protected override urlFields(): Fields {
    return { view: this.view, models: this.models, ops: this.ops, shapes: this.shapes, samples: String(this.samples), engines: this.engines };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.view === 'kernels' || f.view === 'models') this.view = f.view;
    if (f.models !== undefined) this.models = f.models;
    if (f.ops !== undefined) this.ops = f.ops;
    if (f.shapes !== undefined) this.shapes = f.shapes;
    if (f.engines !== undefined) this.engines = f.engines;
    const n = Number(f.samples);
    if (Number.isInteger(n) && n > 0) this.samples = n;
  }

  protected override setState(s: BenchState): void {
    this.status = s;
  }

  /** Stops a run after the measurement in progress. */
  stop(): void {
    this.abort?.abort();
  }

  override render(): TemplateResult {
    if (this.unsupported) return html`<div class="base" part="base">${this.renderUnsupported()}</div>`;
    const t = benchText.strings(this);
    const running = this.status === 'running';
    const models = this.view === 'models';
    return html`<div class="base" part="base">
      ${this.renderTabs(running, t)}
      ${models ? this.renderModelControls(running, t) : this.renderControls(running, t)}
      ${running && this.progress ? this.renderProgress(this.progress, t) : nothing}
      <p class="sr-only" role="status" aria-live="polite">${running ? this.progress?.message ?? '' : this.status === 'done' ? t('finished') : ''}</p>
      ${this.status === 'error' || this.gpuLoss ? this.renderProblem() : nothing}
      ${models ? (this.modelResult ? modelsView(this.modelResult, t) : nothing) : this.result ? this.renderResult(this.result, t) : nothing}
    </div>`;
  }

  private renderTabs(running: boolean, t: ReturnType<typeof benchText.strings>): TemplateResult {
    const tab = (v: BenchView, label: string) => html`<button type="button" role="tab" id="tab-${v}" aria-selected=${this.view === v ? 'true' : 'false'}
      tabindex=${this.view === v ? 0 : -1} ?disabled=${running} @click=${() => this.selectView(v)} @keydown=${this.onTabKey}>${label}</button>`;
    return html`<div class="tabs" part="tabs" role="tablist" aria-label=${t('tabsAria')}>${tab('kernels', t('tabKernels'))}${tab('models', t('tabModels'))}</div>`;
  }

  private selectView(v: BenchView): void {
    if (this.view === v) return;
    this.view = v;
    if (this.status === 'done' || this.status === 'error') this.status = 'idle';
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${v}`)?.focus());
  }

  private onTabKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    this.selectView(this.view === 'kernels' ? 'models' : 'kernels');
  }

  private renderModelControls(running: boolean, t: ReturnType<typeof benchText.strings>): TemplateResult {
    return html`<form part="controls" role="tabpanel" aria-labelledby="tab-models" @submit=${this.onSubmit} aria-label=${t('settings')}>
      <label>${t('networks')} <input type="text" name="models" .value=${this.models} placeholder=${t('all')} ?disabled=${running}
        @change=${(e: Event) => (this.models = (e.target as HTMLInputElement).value)} /></label>
      <label>${t('samples')} <input type="number" name="samples" min="1" .value=${String(this.samples)} ?disabled=${running}
        @change=${(e: Event) => (this.samples = Math.max(1, Number((e.target as HTMLInputElement).value) || 10))} /></label>
      <p class="hint" part="hint">${t('modelsHint', { samples: this.samples })}</p>
      <div class="actions">
        ${running
          ? html`<button type="button" part="run" @click=${() => this.stop()}>${t('stop')}</button>`
          : html`<button type="submit" part="run">${t('run')}</button>`}
        <button type="button" class="secondary" ?disabled=${!this.modelResult} @click=${this.copyJson}>${t('copy')}</button>
        ${this.copied ? html`<span class="copied" role="status">${t(this.copied)}</span>` : nothing}
      </div>
    </form>`;
  }

  private renderControls(running: boolean, t: ReturnType<typeof benchText.strings>): TemplateResult {
    const chosen = new Set(this.engines.split(',').map((s) => s.trim()));
    return html`<form part="controls" @submit=${this.onSubmit} aria-label=${t('settings')}>
      <label>${t('ops')} <input type="text" name="ops" .value=${this.ops} placeholder=${t('all')} ?disabled=${running}
        @change=${(e: Event) => (this.ops = (e.target as HTMLInputElement).value)} /></label>
      <label>${t('layers')} <input type="text" name="shapes" .value=${this.shapes} placeholder=${t('all')} ?disabled=${running}
        @change=${(e: Event) => (this.shapes = (e.target as HTMLInputElement).value)} /></label>
      <label>${t('samples')} <input type="number" name="samples" min="1" .value=${String(this.samples)} ?disabled=${running}
        @change=${(e: Event) => (this.samples = Math.max(1, Number((e.target as HTMLInputElement).value) || 30))} /></label>
      <fieldset ?disabled=${running}>
        <legend>${t('baselines')}</legend>
        ${BASELINES.map((id) => html`<label><input type="checkbox" .checked=${chosen.has(id)} @change=${(e: Event) => this.toggleEngine(id, (e.target as HTMLInputElement).checked)} />${ENGINE_LABELS[id]}</label>`)}
      </fieldset>
      <p class="hint" part="hint">${t('hint', { samples: this.samples })}</p>
      <div class="actions">
        ${running
          ? html`<button type="button" part="run" @click=${() => this.stop()}>${t('stop')}</button>`
          : html`<button type="submit" part="run">${t('run')}</button>`}
        <button type="button" class="secondary" ?disabled=${!this.result} @click=${this.copyJson}>${t('copy')}</button>
        ${this.copied ? html`<span class="copied" role="status">${t(this.copied)}</span>` : nothing}
      </div>
    </form>`;
  }

  private renderProgress(p: Progress, t: ReturnType<typeof benchText.strings>): TemplateResult {
    return html`<div class="progress" part="progress">
      <progress max=${p.total || 1} .value=${p.done} aria-label=${t('measurementsDone')}></progress>
      <span>${p.done}/${p.total} · ${p.message}</span>
    </div>`;
  }

  private renderResult(r: SuiteResult, t: ReturnType<typeof benchText.strings>): TemplateResult {
    const series = r.meta.engines.slice(1).map((e) => ({ id: e.id, label: e.label }));
    const family = (id: string) => familyName(id, t.lang);
    return html`
      <p class="head">${t('head', {
        adapter: r.meta.adapter.description,
        software: r.meta.adapter.isSoftware ? t('software') : '',
        browser: r.meta.browser,
        rows: r.rows.length,
        samples: r.meta.options.samples,
        seconds: (r.meta.durationMs / 1000).toFixed(0),
      })}</p>
      ${problemsList(r, t)}
      ${ratioChart(r.geomeanByFamily, series, { aria: t('chartAria'), family, bar: (f, engine, ratio) => t('barTitle', { family: f, engine, ratio }) })}
      ${chartLegend(series, (engine) => t('versus', { engine }))}
      ${geomeanTable(r, t, family)}
      ${rowsTable(r, t)}`;
  }

  private toggleEngine(id: string, on: boolean): void {
    const set = new Set(this.engines.split(',').map((s) => s.trim()).filter(Boolean));
    if (on) set.add(id);
    else set.delete(id);
    this.engines = BASELINES.filter((b) => set.has(b)).join(',');
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    void this.run();
  }

  private async copyJson(): Promise<void> {
    const shown = this.view === 'models' ? this.modelResult : this.result;
    if (!shown) return;
    const json = JSON.stringify(shown, null, 2);
    try {
      await navigator.clipboard.writeText(json);
      this.copied = 'copied';
    } catch {
      // Clipboard access can be refused (permissions, insecure page): offer the file instead.
      const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'cnn-webgpu-bench.json';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.copied = 'downloaded';
    }
  }
}
