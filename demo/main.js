// The demo page: draws an image, runs conv2d → add(bias) → relu → maxPool2d on the GPU through the
// public bundle, and draws the eight feature maps. When it is finished, <body data-status> is 'done',
// 'unsupported' (no usable WebGPU: a notice says which browsers work) or 'error' (the message shown),
// so the end-to-end tests can wait for it.
import { FILTERS, filterWeights, filterBias, drawKernel } from './filters.js';
import { drawScene, drawLegend, drawFeatureMap } from './draw.js';

const BUNDLE = '../dist/cnn-webgpu.js';
const WARM_RUNS = 5;

const $ = (id) => document.getElementById(id);

window.addEventListener('error', (ev) => showError(ev.error ?? ev.message));
window.addEventListener('unhandledrejection', (ev) => showError(ev.reason));

main().catch(showError);

async function main() {
  const input = $('input');
  const pixels = drawScene(input);
  const [h, w] = [input.height, input.width];
  drawLegend($('legend'));
  const weights = filterWeights();
  const tiles = makeTiles(weights, h / 2, w / 2);

  if (!('gpu' in navigator)) {
    return showUnsupported('Your browser does not offer WebGPU here (<code>navigator.gpu</code> is missing).');
  }

  let createEngine;
  try {
    ({ createEngine } = await import(BUNDLE));
  } catch (err) {
    throw new Error(`could not load ${BUNDLE} (${messageOf(err)}). Build it with \`npm run build\`, or run the demo with \`npm start\`.`);
  }

  let e;
  try {
    e = await createEngine();
  } catch (err) {
    return showUnsupported('WebGPU is present, but no GPU device could be obtained from it.', messageOf(err));
  }
  const adapter = `${e.info.description}${e.info.isSoftware ? ' (a software rasteriser: slow)' : ''}`;
  setStatus('running', `Running the layer on ${e.info.description}…`);

  const filter = e.tensor(weights, [3, 3, 3, FILTERS.length]);
  const bias = e.tensor(filterBias(), [FILTERS.length]);
  const pass = async () => {
    const t0 = performance.now();
    const x = e.tensor(pixels, [1, h, w, 3]);
    const conv = e.conv2d(x, filter, { strides: 1, pad: 'same', dilations: 1 });
    const biased = e.add(conv, bias);
    const act = e.relu(biased);
    const pooled = e.maxPool2d(act, { filterSize: 2, strides: 2, pad: 'valid' });
    try {
      return { values: await pooled.read(), shape: pooled.shape, ms: performance.now() - t0 };
    } finally {
      for (const t of [x, conv, biased, act, pooled]) t.dispose();
    }
  };

  const first = await pass();
  const [, ph, pw, pc] = first.shape;
  if (ph !== h / 2 || pw !== w / 2 || pc !== FILTERS.length) {
    throw new Error(`the pooled output has shape [${first.shape.join(', ')}], expected [1, ${h / 2}, ${w / 2}, ${FILTERS.length}]`);
  }
  tiles.forEach((tile, c) => {
    const { min, max } = drawFeatureMap(tile.canvas, first.values, ph, pw, pc, c);
    tile.canvas.dataset.min = String(min);
    tile.canvas.dataset.max = String(max);
    tile.range.textContent = max > min ? `range ${fmt(min)} … ${fmt(max)}` : `constant ${fmt(min)}`;
    tile.range.dataset.drawn = 'yes';
  });

  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push((await pass()).ms);
  warm.sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)];
  filter.dispose();
  bias.dispose();
  const held = e.memory().buffers;
  e.destroy();

  $('timing').textContent =
    `Measured here on ${adapter}: the first pass (upload, conv2d, add, relu, maxPool2d, read-back) took ` +
    `${first.ms.toFixed(1)} ms including shader compilation; later passes ${median.toFixed(1)} ms ` +
    `(median of ${WARM_RUNS}). GPU buffers held by tensors after disposing them all: ${held}.`;
  document.body.dataset.firstMs = first.ms.toFixed(2);
  document.body.dataset.warmMs = median.toFixed(2);
  setStatus('done', `Done: ${pc} feature maps of ${ph}×${pw}, computed on ${e.info.description}.`);
}

function makeTiles(weights, h, w) {
  const grid = $('maps');
  return FILTERS.map((f, o) => {
    const fig = el('figure', 'card tile');
    const head = el('div', 'tile-head');
    const kernel = el('canvas', 'kernel');
    kernel.width = kernel.height = 3;
    kernel.title = 'the filter’s weights (R, G, B per tap; grey = 0)';
    drawKernel(kernel, weights, o);
    const text = el('div');
    text.append(el('div', 'tile-name', f.name), el('div', 'tile-what', `${f.what}; bias ${f.bias}`));
    head.append(kernel, text);
    const canvas = el('canvas', 'fmap');
    canvas.width = w;
    canvas.height = h;
    canvas.dataset.filter = f.name;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Feature map ${o + 1}: ${f.name}`);
    const range = el('figcaption', 'range', 'waiting for the GPU…');
    fig.append(head, canvas, range);
    grid.append(fig);
    return { canvas, range };
  });
}

function showUnsupported(reasonHtml, detail) {
  const notice = $('notice');
  notice.className = 'notice';
  notice.innerHTML =
    '<h2>This demo needs WebGPU</h2>' +
    `<p>${reasonHtml} The feature maps are computed on the GPU, so nothing can be drawn.</p>` +
    '<p>It works in <strong>Chrome</strong> and <strong>Edge</strong> 113 or newer (Windows, macOS, ChromeOS, Android), ' +
    '<strong>Safari</strong> 26 or newer (macOS, iOS), and <strong>Firefox</strong> 141 or newer on Windows. ' +
    'On Linux, start Chrome or Chromium with <code>--enable-unsafe-webgpu</code>.</p>' +
    (window.isSecureContext ? '' : '<p>WebGPU is only offered to secure pages: open this page through <code>http://localhost</code> or HTTPS.</p>');
  if (detail) notice.append(el('pre', '', detail));
  notice.hidden = false;
  markMapsNotComputed('not computed: no WebGPU');
  setStatus('unsupported', 'WebGPU is not available in this browser.');
}

function showError(err) {
  const message = messageOf(err);
  console.error(err);
  const notice = $('notice');
  notice.className = 'notice error';
  notice.replaceChildren(el('h2', '', 'The demo failed'), el('p', '', 'It stopped with this error:'), el('pre', '', message));
  notice.hidden = false;
  markMapsNotComputed('not computed');
  document.body.dataset.error = message;
  // Where it was thrown (the bundle is not minified, so this names the op), for the tests' report.
  const frame = err instanceof Error ? err.stack?.split('\n').find((line) => line.trim().startsWith('at ')) : undefined;
  if (frame) document.body.dataset.errorAt = frame.trim();
  setStatus('error', 'Failed; see the error above.');
}

function markMapsNotComputed(text) {
  for (const range of document.querySelectorAll('.tile .range')) {
    if (range.dataset.drawn !== 'yes') range.textContent = text;
  }
}

function setStatus(status, text) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

function el(tag, className = '', text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function messageOf(err) {
  if (err instanceof Error) return err.message || String(err);
  return String(err ?? 'unknown error');
}

function fmt(v) {
  return Math.abs(v) >= 100 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : v.toFixed(3);
}
