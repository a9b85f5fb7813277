/**
 * The test digits as the network sees them: the loss, the accuracy and the confusion matrix (how
 * many digits of each true class went to each predicted class) in one pass over the test set, the
 * same arithmetic as the engine's `evaluate` (mean softmax cross-entropy on the logits, the largest
 * logit as the answer), with the answers kept. And the matrix drawn as an accessible table.
 */
import { html, type TemplateResult } from 'lit';
import type { Dataset, Engine, Model } from '../../../src/index.js';
import type { TrainerStrings } from './messages.js';
import { percent } from './format.js';

export interface Confusion {
  classes: number;
  /** Row-major [true class][predicted class] counts. */
  counts: Uint32Array;
  total: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  confusion: Confusion;
}

/** The fraction of class `c`'s digits predicted right, or null when the set has none. */
export function classAccuracy(m: Confusion, c: number): number | null {
  let row = 0;
  for (let j = 0; j < m.classes; j++) row += m.counts[c * m.classes + j]!;
  return row === 0 ? null : m.counts[c * m.classes + c]! / row;
}

/** Loss, accuracy and confusion matrix of `model` on `data`, in batches of `batchSize`. */
export async function evaluateSet(engine: Engine, model: Model, data: Dataset, batchSize = 256): Promise<Evaluation> {
  const k = data.classes;
  const per = data.xShape.reduce((a, b) => a * b, 1);
  const counts = new Uint32Array(k * k);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const size = Math.min(batchSize, data.count - start);
    const ys = data.y.subarray(start * k, (start + size) * k);
    const x = engine.tensor(data.x.subarray(start * per, (start + size) * per), [size, ...data.xShape]);
    const y = engine.tensor(ys, [size, k]);
    const acts = model.run(x, { logits: true });
    const { loss, dLogits } = engine.softmaxCrossEntropy(acts.output, y);
    try {
      const [lossValue, logits] = await Promise.all([loss.read(), acts.output.read()]);
      lossSum += lossValue[0]! * size;
      for (let r = 0; r < size; r++) {
        let guess = 0;
        let truth = 0;
        for (let c = 1; c < k; c++) {
          if (logits[r * k + c]! > logits[r * k + guess]!) guess = c;
          if (ys[r * k + c]! > ys[r * k + truth]!) truth = c;
        }
        counts[truth * k + guess]!++;
        if (guess === truth) correct++;
      }
    } finally {
      for (const t of [x, y, loss, dLogits]) t.dispose();
      acts.dispose();
    }
  }
  const n = Math.max(data.count, 1);
  return { loss: lossSum / n, accuracy: correct / n, confusion: { classes: k, counts, total: data.count } };
}

/** The matrix as a table (rows: true digit, columns: predicted), shaded by each row's share, with each class's accuracy. */
export function confusionView(m: Confusion | null, step: number | null, t: TrainerStrings): TemplateResult {
  if (!m) return html`<figure class="confusion" part="confusion"><figcaption>${t('confusionEmpty')}</figcaption></figure>`;
  const k = m.classes;
  const classes = Array.from({ length: k }, (_, i) => i);
  return html`<figure class="confusion" part="confusion">
    <figcaption>${t('confusionTitle', { n: m.total.toLocaleString('en-US'), step: step ?? 0 })}</figcaption>
    <table aria-label=${t('confusionAria')}>
      <thead>
        <tr>
          <th scope="col" class="corner">${t('predictedDigit')} →<br />${t('trueDigit')} ↓</th>
          ${classes.map((c) => html`<th scope="col">${c}</th>`)}
          <th scope="col" class="acc">${t('perClass')}</th>
        </tr>
      </thead>
      <tbody>
        ${classes.map((truth) => {
          let row = 0;
          for (const g of classes) row += m.counts[truth * k + g]!;
          const acc = classAccuracy(m, truth);
          return html`<tr>
            <th scope="row">${truth}</th>
            ${classes.map((guess) => {
              const count = m.counts[truth * k + guess]!;
              const share = row ? count / row : 0;
              const kind = guess === truth ? 'right' : 'wrong';
              return html`<td
                class="${kind} ${count ? '' : 'zero'}"
                style="--share: ${share.toFixed(3)}"
                title=${t('cellAria', { count, truth, guess })}
              >${count}</td>`;
            })}
            <td class="acc" title=${acc === null ? '' : t('classAccuracy', { acc: percent(acc), truth })}>
              <span class="bar" style="width: ${((acc ?? 0) * 100).toFixed(1)}%"></span><span class="pct">${acc === null ? '–' : percent(acc, 0)}</span>
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
  </figure>`;
}
