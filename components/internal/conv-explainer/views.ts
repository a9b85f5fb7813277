/**
 * The arithmetic of one unit as markup: per input channel three small grids (the inputs under the
 * window, the weights, their products), then the sum, the bias, the activation and the output
 * beside the engine's value; for a pool, the window's cells and which won (or their mean); for a
 * dense unit, its largest contributions.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { ChannelTerms, UnitExplanation, UnitSource } from '../../../src/index.js';
import { fmt } from '../attributes.js';
import type { ExplainerStrings } from './messages.js';
import { css, diverging, grey, ink, rangeOf, type Rgb } from './palette.js';

/** A kh × kw grid of numbers on coloured cells; padded taps hatched. */
function grid(kind: 'inputs' | 'weights' | 'products', values: readonly number[], kw: number, colour: (v: number) => Rgb, padded: readonly boolean[], label: string, winner = -1): TemplateResult {
  return html`<div class="grid ${kind}" role="group" aria-label=${label} style="grid-template-columns: repeat(${kw}, auto)">
    ${values.map((v, i) => {
      if (padded[i] && kind !== 'weights') return html`<span class="cell pad" title="padding">${Number.isNaN(v) ? '·' : fmt(v)}</span>`;
      const bg = colour(v);
      return html`<span class="cell ${i === winner ? 'won' : ''}" style="background: ${css(bg)}; color: ${ink(bg)}">${fmt(v)}</span>`;
    })}
  </div>`;
}

function channelBlock(u: UnitExplanation, t: ExplainerStrings, term: ChannelTerms, kw: number, inputRange: [number, number], focus: number, pick: (c: number) => void): TemplateResult {
  const padded = u.taps.map((tap) => tap.padded);
  const wLimit = Math.max(...(term.weights ?? [0]).map(Math.abs));
  const pLimit = Math.max(...(term.products ?? [0]).map(Math.abs));
  const [lo, hi] = inputRange;
  return html`<figure class="channel ${term.channel === focus ? 'focus' : ''}" part="channel">
    <figcaption>
      <button class="link" @click=${() => pick(term.channel)} aria-pressed=${term.channel === focus ? 'true' : 'false'}>${t('channelBlock', { c: term.channel })}</button>
    </figcaption>
    <div class="grids">
      <div>
        <span class="grid-label">${t('inputs')}</span>
        ${grid('inputs', term.values, kw, (v) => grey(v, lo, hi), padded, `${t('inputs')}, ${t('channelBlock', { c: term.channel })}`)}
      </div>
      <span class="op" aria-hidden="true">×</span>
      <div>
        <span class="grid-label">${t('weights')}</span>
        ${grid('weights', term.weights!, kw, (v) => diverging(v, wLimit), padded, `${t('weights')}, ${t('channelBlock', { c: term.channel })}`)}
      </div>
      <span class="op" aria-hidden="true">=</span>
      <div>
        <span class="grid-label">${t('products')}</span>
        ${grid('products', term.products!, kw, (v) => diverging(v, pLimit), padded, `${t('products')}, ${t('channelBlock', { c: term.channel })}`)}
      </div>
      <span class="subtotal">${t('subtotal', { v: fmt(term.sum) })}</span>
    </div>
  </figure>`;
}

/** The closing lines: sum, bias, activation, output, and the engine's value beside it. */
function ending(u: UnitExplanation, t: ExplainerStrings): TemplateResult {
  const diff = Math.abs(u.value - u.engineValue);
  const ok = diff <= u.tolerance;
  const act = u.activation === 'linear' ? t('linear') : u.activation === 'softmax' ? t('softmax', { n: u.logits?.length ?? 0 }) : t('activation', { fn: u.activation, v: fmt(u.preActivation) });
  const sumLabel = u.kind === 'dense' ? t('sumTerms', { n: u.termCount }) : t('sumChannels', { n: u.terms.length, taps: u.taps.length });
  return html`<dl class="ending">
    ${u.kind === 'max-pool' || u.kind === 'avg-pool'
      ? html`<div><dt>${u.kind === 'max-pool' ? t('maxOf', { n: u.termCount }) : t('meanOf', { n: u.termCount })}</dt><dd class="num">${fmt(u.sum)}</dd></div>`
      : html`<div><dt>${sumLabel}</dt><dd class="num">${fmt(u.sum)}</dd></div>
          <div><dt>${u.bias === null ? t('noBias') : t('bias')}</dt><dd class="num">${u.bias === null ? '' : fmt(u.bias)}</dd></div>
          <div><dt>= </dt><dd class="num">${fmt(u.preActivation)}</dd></div>
          <div><dt>${act}</dt><dd class="num"></dd></div>`}
    <div class="result"><dt>${t('output')}</dt><dd class="num value">${fmt(u.value)}</dd></div>
    <div class="engine ${ok ? 'ok' : 'bad'}">
      <dt>${t('engine')}</dt>
      <dd class="num">${fmt(u.engineValue)} <span class="verdict">${ok ? `✓ ${t('agrees')}` : `✗ ${t('differs', { d: diff.toExponential(2) })}`}</span></dd>
    </div>
  </dl>`;
}

/** The whole arithmetic of a window unit: the chosen channels' grids, what the others add, and the ending. */
export function windowArithmetic(u: UnitExplanation, src: UnitSource, t: ExplainerStrings, shown: readonly number[], focus: number, pick: (c: number) => void): TemplateResult {
  const g = src.geometry!;
  const c = (src.inputShape[2] ?? 1) as number;
  const range = (ch: number) => rangeOf(src.input, ch, c);
  if (u.kind === 'max-pool' || u.kind === 'avg-pool') {
    const term = u.terms[0]!;
    const [lo, hi] = range(term.channel);
    return html`<section class="arithmetic" part="arithmetic" aria-label=${t('arithmetic', { x: u.x, y: u.y })}>
      <h4>${t('arithmetic', { x: u.x, y: u.y })}</h4>
      <figure class="channel focus" part="channel">
        <figcaption>${t('channelBlock', { c: term.channel })}</figcaption>
        ${grid('inputs', term.values, g.kW, (v) => grey(v, lo, hi), u.taps.map((tap) => tap.padded), t('inputs'), u.winner?.tap ?? -1)}
      </figure>
      ${ending(u, t)}
    </section>`;
  }
  const blocks = u.terms.filter((term) => shown.includes(term.channel));
  const hidden = u.terms.filter((term) => !shown.includes(term.channel));
  const rest = hidden.reduce((a, term) => a + term.sum, 0);
  return html`<section class="arithmetic" part="arithmetic" aria-label=${t('arithmetic', { x: u.x, y: u.y })}>
    <h4>${t('arithmetic', { x: u.x, y: u.y })}</h4>
    ${blocks.map((term) => channelBlock(u, t, term, g.kW, range(term.channel), focus, pick))}
    ${hidden.length ? html`<p class="others">${t('otherChannels', { n: hidden.length, v: fmt(Math.fround(rest)) })}</p>` : nothing}
    ${ending(u, t)}
  </section>`;
}

/** A dense unit: its largest terms as rows with bars, what the rest adds, and the ending. */
export function denseArithmetic(u: UnitExplanation, src: UnitSource, t: ExplainerStrings, flatShape: readonly number[] | null): TemplateResult {
  const limit = Math.max(...u.top.map((x) => Math.abs(x.product)), 1e-30);
  const rest = u.sum - u.top.reduce((a, x) => a + x.product, 0);
  const where = (i: number) => {
    if (!flatShape || flatShape.length !== 3) return String(i);
    const [, w, c] = flatShape as [number, number, number];
    return t('termAt', { i, y: Math.floor(i / (w * c)), x: Math.floor(i / c) % w, c: i % c });
  };
  return html`<section class="arithmetic" part="arithmetic" aria-label=${t('arithmeticDense', { c: u.channel })}>
    <h4>${t('arithmeticDense', { c: u.channel })} · ${src.layer}</h4>
    <table class="terms">
      <caption>${t('topTerms', { k: u.top.length, n: u.termCount })}</caption>
      <thead><tr><th scope="col">${t('termIndex')}</th><th scope="col">${t('value')}</th><th scope="col">${t('weight')}</th><th scope="col">${t('product')}</th><th aria-hidden="true"></th></tr></thead>
      <tbody>
        ${u.top.map((x) => {
          const bg = diverging(x.product, limit);
          return html`<tr>
            <td>${where(x.index)}</td><td class="num">${fmt(x.value)}</td><td class="num">${fmt(x.weight)}</td><td class="num">${fmt(x.product)}</td>
            <td class="bar" aria-hidden="true"><span style="width: ${((Math.abs(x.product) / limit) * 100).toFixed(1)}%; background: ${css(bg)}"></span></td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${u.termCount > u.top.length ? html`<p class="others">${t('restTerms', { n: u.termCount - u.top.length, v: fmt(Math.fround(rest)) })}</p>` : nothing}
    ${u.logits ? html`<p class="logits"><span>${t('logitsLabel')}</span>${u.logits.map((z, j) => html`<span class=${j === u.channel ? 'mine' : ''}>${j}: ${fmt(z)}</span>`)}</p>` : nothing}
    ${ending(u, t)}
  </section>`;
}
