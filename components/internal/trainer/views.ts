/**
 * The trainer's templates, as functions of what they show: the settings, the progress line, the
 * plots, the filters, the test digit and the timeline. The element wires them to its state and
 * handlers; every word comes from the trainer's catalogue in the element's language.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { argMax, presets } from '../../../src/index.js';
import type { Curves, OptimizerName, Progress } from './run.js';
import type { DigitSnapshot, FilterSnapshot } from './snapshots.js';
import { describePlot, type Metric } from './plot.js';
import { count, duration, percent, rate } from './format.js';
import type { TrainerKey, TrainerStrings } from './messages.js';

export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd'];

export interface Settings {
  preset: string;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  epochs: number;
}
export type NumberSetting = 'learningRate' | 'batchSize' | 'epochs';

/** A preset in words: the catalogue's description where it has one, else the library's. */
export function presetAbout(name: string, t: TrainerStrings): string {
  const key = `preset_${name}` as TrainerKey;
  const text = t(key);
  return text === key ? ((Object.hasOwn(presets, name) && presets[name]!.description) || '') : text;
}

/** The settings; all but the learning rate are fixed while a run is under way. */
export function controlsView(
  s: Settings,
  busy: boolean,
  t: TrainerStrings,
  on: { choose(key: 'preset' | 'optimizer', value: string): void; number(key: NumberSetting, input: HTMLInputElement): void },
): TemplateResult {
  const num = (key: NumberSetting, cls: string, attrs: { min: string; max?: string; step: string }, locked: boolean) =>
    html`<label class="field" part="field"
      >${t(key)}
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
        >${t('network')}
        <select class="preset" ?disabled=${busy} aria-describedby="preset-about" @change=${(e: Event) => on.choose('preset', (e.target as HTMLSelectElement).value)}>
          ${Object.values(presets).map((p) => html`<option value=${p.name} ?selected=${p.name === s.preset}>${p.name}</option>`)}
        </select>
      </label>
      <label class="field" part="field"
        >${t('optimizer')}
        <select class="optimizer" ?disabled=${busy} @change=${(e: Event) => on.choose('optimizer', (e.target as HTMLSelectElement).value)}>
          ${OPTIMIZERS.map((k) => html`<option value=${k} ?selected=${k === s.optimizer}>${t(k)}</option>`)}
        </select>
      </label>
      ${num('learningRate', 'learning-rate', { min: '0', step: 'any' }, false)}
      ${num('batchSize', 'batch-size', { min: '1', max: '4096', step: '1' }, busy)}
      ${num('epochs', 'epochs', { min: '1', max: '1000', step: '1' }, busy)}
    </div>
    <p class="preset-about" part="preset-about" id="preset-about"><strong>${s.preset}</strong> · ${presetAbout(s.preset, t)}</p>`;
}

/** Where the run is, for the progress line: the time left only while it trains. */
export type RunPhase = 'training' | 'paused' | 'stopped' | 'other';

/** "epoch 1 of 2 · step 14 of 32 · 138 images/s · about 4 s left" (or "· paused", "· stopped", "· done"). */
export function progressText(p: Progress, phase: RunPhase, t: TrainerStrings): string {
  const parts = [t('epochOf', { epoch: p.epoch, epochs: p.epochs }), t('stepOf', { step: count(p.step), steps: count(p.steps) }), rate(p.imagesPerSecond, t)];
  if (p.step >= p.steps) parts.push(t('finished'));
  else if (phase === 'paused') parts.push(t('pausedShort'));
  else if (phase === 'stopped') parts.push(t('stoppedShort'));
  else if (phase === 'training' && p.secondsLeft !== null) parts.push(t('left', { time: duration(p.secondsLeft, t) }));
  return parts.join(' · ');
}

/** The progress bar (role progressbar, 0–100) and the numbers beside it. */
export function meterView(p: Progress | null, loading: boolean, phase: RunPhase, t: TrainerStrings): TemplateResult {
  const pct = p ? Math.round(p.fraction * 1000) / 10 : 0;
  const numbers = p ? progressText(p, phase, t) : loading ? t('loadingShort') : t('notStarted');
  return html`<div class="meter" part="progress">
    <div
      class="bar"
      part="progress-bar"
      role="progressbar"
      aria-label=${t('progressAria')}
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
export function plotView(metric: Metric, curves: Curves, t: TrainerStrings): TemplateResult {
  return html`<figure>
    <figcaption id="cap-${metric}">${t(metric === 'loss' ? 'lossTitle' : 'accuracyTitle')}</figcaption>
    <canvas class="plot" part="plot" data-metric=${metric} role="img" aria-labelledby="cap-${metric}" aria-describedby="desc-${metric}"></canvas>
    <p id="desc-${metric}" class="sr-only">${describePlot(metric, curves.train, curves.test, t)}</p>
  </figure>`;
}

/** One canvas per filter, sized in kernel pixels (painted after render). */
export function filtersView(f: FilterSnapshot | null, t: TrainerStrings): TemplateResult {
  if (!f) return html`<figure class="filters" part="filters"><figcaption>${t('filtersTitle')}</figcaption><p class="placeholder">${t('drawnWhenStarts')}</p></figure>`;
  return html`<figure class="filters" part="filters">
    <figcaption>${t('filtersCaption', { layer: f.layer, n: f.shape[3]!, h: f.shape[0]!, w: f.shape[1]! })}</figcaption>
    <div class="tiles" role="list" aria-label=${t('filtersAria', { n: f.filters, layer: f.layer })}>
      ${Array.from(
        { length: f.filters },
        (_, o) => html`<canvas class="filter pixels" part="filter-canvas" role="img" aria-label=${t('filterAria', { o })} data-filter=${o} width=${f.shape[1]} height=${f.shape[0]}></canvas>`,
      )}
    </div>
  </figure>`;
}

/** The test digit, what the model makes of it, and its feature maps in the first convolution layers. */
export function digitView(d: DigitSnapshot | null, index: number, t: TrainerStrings): TemplateResult {
  if (!d) return html`<figure class="digit-box" part="digit"><figcaption>${t('digitTitle')}</figcaption><p class="placeholder">${t('drawnWhenStarts')}</p></figure>`;
  const guess = argMax(d.probabilities);
  return html`<figure class="digit-box" part="digit">
    <figcaption>${t('digitCaption', { i: index })}</figcaption>
    <div class="digit-row">
      <canvas class="digit pixels" width="28" height="28" role="img" aria-label=${t('digitAria', { i: index, label: d.label })}></canvas>
      <p class="prediction">${t('label', { label: d.label })}<br />${t('predicted')} <strong>${guess}</strong> (${percent(d.probabilities[guess]!)})</p>
    </div>
    ${d.maps.map(
      (m, li) => html`<div class="maps" data-layer=${m.name}>
        <h4>${m.name} · ${m.shape.slice(1).join('×')}</h4>
        <div class="tiles">
          ${m.channels.map(
            (c, ti) =>
              html`<canvas class="map pixels" part="map-canvas" role="img" aria-label=${t('mapAria', { layer: m.name, c })} data-layer=${li} data-tile=${ti} width=${m.tileWidth} height=${m.tileHeight}></canvas>`,
          )}
        </div>
      </div>`,
    )}
  </figure>`;
}

/** The timeline: play, a slider over the snapshots, where it is, and back to live. Nothing before the second snapshot. */
export function timelineView(
  frames: readonly { step: number }[],
  viewing: number | null,
  playing: boolean,
  steps: number,
  t: TrainerStrings,
  on: { scrub(index: number): void; play(): void; live(): void },
): TemplateResult | typeof nothing {
  if (frames.length < 2) return nothing;
  const at = viewing ?? frames.length - 1;
  const step = frames[at]!.step;
  return html`<div class="timeline" part="timeline" role="group" aria-label=${t('timeline')}>
    <button class="play" part="button play" aria-label=${t(playing ? 'pauseAria' : 'playAria')} @click=${on.play}>${t(playing ? 'pausePlayback' : 'play')}</button>
    <input
      class="scrub"
      part="scrub"
      type="range"
      min="0"
      max=${frames.length - 1}
      step="1"
      .value=${String(at)}
      aria-label=${t('timelineAria')}
      aria-valuetext=${t('snapshotText', { i: at + 1, n: frames.length, step })}
      @input=${(e: Event) => on.scrub(Number((e.target as HTMLInputElement).value))}
    />
    <span class="when">${t('atStep', { step: count(step), steps: count(steps) })}</span>
    <button class="go-live" part="button live" ?disabled=${viewing === null} aria-label=${t('liveAria')} @click=${on.live}>${t('live')}</button>
  </div>`;
}
