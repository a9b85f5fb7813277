/**
 * The viewer's own path: a real <cnn-layer-viewer> on the page, timed from `setInput` to its
 * `cnn-ready` event (every shown layer's feature maps drawn and the element updated): the reader's
 * wait. The cold call is the first input after the model loaded (shader compilation included).
 */
import { CnnError, type Engine } from '../../src/index.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import type { CnnLayerViewer } from '../../components/internal/layer-viewer.js';
import { oursMemory } from './forward.js';
import type { MemoryReport, ModelEngine, PreparedModel } from './types.js';

const OP = 'model bench (viewer)';

function once<T extends Event>(el: HTMLElement, names: string[], ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (e: Event) => {
      for (const n of names) el.removeEventListener(n, done);
      clearTimeout(timer);
      if (e.type === 'cnn-error') reject(new CnnError(OP, (e as CustomEvent<{ message: string }>).detail.message));
      else resolve(e as T);
    };
    const timer = setTimeout(() => {
      for (const n of names) el.removeEventListener(n, done);
      reject(new CnnError(OP, `no ${names[0]} within ${ms / 1000} s`));
    }, ms);
    for (const n of names) el.addEventListener(n, done);
  });
}

/** The input as an image: seeded pixels in [0, 255]. */
function inputCanvas(xs: Float32Array, [, h, w, c]: readonly number[], range: readonly [number, number]): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = w!;
  canvas.height = h!;
  const img = new ImageData(w!, h!);
  const [lo, hi] = range;
  for (let i = 0; i < w! * h!; i++) {
    for (let k = 0; k < 3; k++) img.data[i * 4 + k] = Math.round((255 * (xs[i * c! + Math.min(k, c! - 1)]! - lo!)) / (hi! - lo!));
    img.data[i * 4 + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
  return canvas;
}

export function viewerEngine(base: string): ModelEngine {
  return {
    id: 'cnn-webgpu',
    label: 'cnn-webgpu',
    gpu: true,
    unsupported: (c) => (c.kind === 'viewer' ? null : 'viewer rows only'),
    async prepare(c, xs): Promise<PreparedModel> {
      await import('../../components/cnn-layer-viewer.js');
      const engine: Engine = await sharedEngine();
      const el = document.createElement('cnn-layer-viewer') as CnnLayerViewer;
      el.setAttribute('input-range', c.range.join(' '));
      el.style.cssText = 'position:absolute;left:0;top:0;width:1200px';
      el.model = new URL(c.url, base).href;
      document.body.append(el);
      // Loaded: the element waits for an input.
      const t0 = performance.now();
      while (el.state !== 'waiting') {
        if (el.state === 'error') throw new CnnError(OP, `the viewer could not load ${c.url}`);
        if (performance.now() - t0 > 600_000) throw new CnnError(OP, `the viewer did not load ${c.url} within 600 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const canvas = inputCanvas(xs, c.x, c.range);
      let last: string[] = [];
      const run = async () => {
        const ready = once<CustomEvent<{ layers: { name: string }[] }>>(el, ['cnn-ready', 'cnn-error'], 600_000);
        el.setInput(canvas);
        last = (await ready).detail.layers.map((l) => l.name);
      };
      return {
        run,
        sync: () => engine.sync(),
        async output() {
          await run();
          return (await el.readLayer(last[last.length - 1]!)).values;
        },
        memory: async (): Promise<MemoryReport> => {
          // Async: the pass and the drawing both allocate; the peak is read at every dispatch.
          let peak = 0;
          const stop = engine.observeDispatches(() => {
            peak = Math.max(peak, engine.memory().bytes);
          });
          try {
            await run();
          } finally {
            stop();
          }
          const report = oursMemory(engine, () => undefined);
          return { ...report, peakBytes: Math.max(peak, report.peakBytes ?? 0), note: 'gpu (the shared engine; the viewer keeps every layer’s output)' };
        },
        dispose: () => el.remove(),
      };
    },
    dispose: () => undefined,
  };
}
