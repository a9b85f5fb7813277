/**
 * The trainer's templates, as functions of what they show: the settings, the progress line, the
 * plots, the filters and the test digit. The element wires them to its state and handlers.
 */
import { html, type TemplateResult } from 'lit';
import { argMax, presets } from '../../../src/index.js';
import type { Curves, OptimizerName, Progress } from './run.js';
import type { DigitSnapshot, FilterSnapshot } from './snapshots.js';
import { describePlot, type Metric } from './plot.js';
import { count, duration, percent, rate } from './format.js';

export const OPTIMIZERS: Record<OptimizerName, string> = { adam: 'Adam', sgd: 'SGD with momentum' };

export interface Settings {
  preset: string;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  epochs: number;
}
export type NumberSetting = 'learningRate' | 'batchSize' | 'epochs';

/** The settings; all but the learning rate are fixed while a run is under way. */
export function controlsView(s: Settings, busy: boolean, on: { choose(key: 'preset' | 'optimizer', value: string): void; number(key: NumberSetting, input: HTMLInputElement): void }): TemplateResult {
  const num = (key: NumberSetting, label: string, cls: string, attrs: { min: string; max?: string; step: string }, locked: boolean) =>
    html`<label class="field" part="field"
      >${label}
      <input
        class=${cls}
        type="number"
        min=${attrs.min}
        max=${attrs.max ?? ''}
        step=${attrs.step}
        ?disabled=${locked}
        .value=${String(s[key])}
        @change=${(e: Event) => on.number(key, e.target as HTMLInputElement)}
      />
    </label>`;
  return html`<div class="controls" part="controls">
    <label class="field" part="field"
      >Network
      <select class="preset" ?disabled=${busy} @change=${(e: Event) => on.choose('preset', (e.target as HTMLSelectElement).value)}>
        ${Object.values(presets).map((p) => html`<option value=${p.name} title=${p.description} ?selected=${p.name === s.preset}>${p.name}</option>`)}
      </select>
    </label>
    <label class="field" part="field"
      >Optimizer
      <select class="optimizer" ?disabled=${busy} @change=${(e: Event) => on.choose('optimizer', (e.target as HTMLSelectElement).value)}>
        ${Object.entries(OPTIMIZERS).map(([k, name]) => html`<option value=${k} ?selected=${k === s.optimizer}>${name}</option>`)}
      </select>
    </label>
    ${num('learningRate', 'Learning rate', 'learning-rate', { min: '0', step: 'any' }, false)}
    ${num('batchSize', 'Batch size', 'batch-size', { min: '1', max: '4096', step: '1' }, busy)}
    ${num('epochs', 'Epochs', 'epochs', { min: '1', max: '1000', step: '1' }, busy)}
  </div>`;
}

/** "epoch 1 of 2 · step 14 of 32 · 138 images/s · about 4 s left". */
export function progressText(p: Progress): string {
  const parts = [`epoch ${p.epoch} of ${p.epochs}`, `step ${count(p.step)} of ${count(p.steps)}`, rate(p.imagesPerSecond)];
  if (p.step >= p.steps) parts.push('done');
  else if (p.secondsLeft !== null) parts.push(`about ${duration(p.secondsLeft)} left`);
  return parts.join(' · ');
}

/** The progress bar (role progressbar, 0–100) and the numbers beside it. */
export function meterView(p: Progress | null, loading: boolean): TemplateResult {
  const pct = p ? Math.round(p.fraction * 1000) / 10 : 0;
  const numbers = p ? progressText(p) : loading ? 'Loading the digits…' : 'Not started';
  return html`<div class="meter" part="progress">
    <div
      class="bar"
      part="progress-bar"
      role="progressbar"
      aria-label="Training progress"
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow=${pct}
      aria-valuetext=${p ? `${pct}%: ${numbers}` : numbers}
    >
      <span style="width: ${pct}%"></span>
    </div>
    <span class="numbers">${numbers}</span>
  </div>`;
}

/** A plot's canvas (drawn by plot.ts after render), captioned and described in words. */
export function plotView(metric: Metric, title: string, curves: Curves): TemplateResult {
  return html`<figure>
    <figcaption id="cap-${metric}">${title}</figcaption>
    <canvas class="plot" part="plot" data-metric=${metric} role="img" aria-labelledby="cap-${metric}" aria-describedby="desc-${metric}"></canvas>
    <p id="desc-${metric}" class="sr-only">${describePlot(metric, curves.train, curves.test)}</p>
  </figure>`;
}

/** One canvas per filter, sized in kernel pixels (painted after render). */
export function filtersView(f: FilterSnapshot | null): TemplateResult {
  if (!f) return html`<figure class="filters" part="filters"><figcaption>First-layer filters</figcaption><p class="placeholder">Drawn when training starts.</p></figure>`;
  return html`<figure class="filters" part="filters">
    <figcaption>First-layer filters · ${f.layer} · ${f.shape[3]} of ${f.shape[0]}×${f.shape[1]} · blue negative, white 0, red positive</figcaption>
    <div class="tiles" role="list" aria-label="${f.filters} filters of ${f.layer}">
      ${Array.from(
        { length: f.filters },
        (_, o) => html`<canvas class="filter pixels" part="filter-canvas" role="img" aria-label="Filter ${o}" data-filter=${o} width=${f.shape[1]} height=${f.shape[0]}></canvas>`,
      )}
    </div>
  </figure>`;
}

/** The test digit, what the model makes of it, and its feature maps in the first convolution layers. */
export function digitView(d: DigitSnapshot | null, index: number): TemplateResult {
  if (!d) return html`<figure class="digit-box" part="digit"><figcaption>A test digit’s feature maps</figcaption><p class="placeholder">Drawn when training starts.</p></figure>`;
  const guess = argMax(d.probabilities);
  return html`<figure class="digit-box" part="digit">
    <figcaption>Test digit ${index} and its feature maps</figcaption>
    <div class="digit-row">
      <canvas class="digit pixels" width="28" height="28" role="img" aria-label="Test digit ${index}, a ${d.label}"></canvas>
      <p class="prediction">Label ${d.label}<br />Predicted <strong>${guess}</strong> (${percent(d.probabilities[guess]!)})</p>
    </div>
    ${d.maps.map(
      (m, li) => html`<div class="maps" data-layer=${m.name}>
        <h4>${m.name} · ${m.shape.slice(1).join('×')}</h4>
        <div class="tiles">
          ${m.channels.map(
            (c, ti) =>
              html`<canvas class="map pixels" part="map-canvas" role="img" aria-label="${m.name} channel ${c}" data-layer=${li} data-tile=${ti} width=${m.tileWidth} height=${m.tileHeight}></canvas>`,
          )}
        </div>
      </div>`,
    )}
  </figure>`;
}
