/**
 * Starts the engines a run asks for. The baselines' packages are imported on demand (a bundle
 * splits them into chunks), so a page that benchmarks only our engine never downloads them. An
 * engine that fails to start stays in the table with the reason on each of its rows.
 */
import { createOursEngine, OURS, type OursEngine, type OursOptions } from './ours.js';
import type { BenchEngine } from '../types.js';

export const ENGINE_IDS = [OURS, 'tfjs-webgpu', 'jax-webgpu', 'ort-webgpu', 'tfjs-cpu'] as const;

/**
 * Not a baseline but our engine with its layer rows and training step unfused (bias add and relu
 * as dispatches of their own): as a column beside ours, it times what fusion buys in the same page
 * and rounds. Its other rows run what ours runs.
 */
export const OURS_UNFUSED = `${OURS}-unfused`;

/**
 * Our engine with its convolutions on the register-block kernels only (`tuning.conv2d = 'vec4'`:
 * vec4 blocks where the channels come in fours, scalar blocks elsewhere, the gradient kernels for
 * every input gradient), as they ran before the few-channel kernel: a column that times what that
 * kernel buys in the same page and rounds.
 */
export const OURS_BLOCKS = `${OURS}-blocks`;

export const ENGINE_LABELS: Record<string, string> = {
  [OURS]: 'cnn-webgpu',
  'tfjs-webgpu': 'TF.js WebGPU',
  'jax-webgpu': 'jax-js WebGPU',
  'ort-webgpu': 'ORT Web WebGPU',
  'tfjs-cpu': 'TF.js CPU',
  [OURS_UNFUSED]: 'cnn-webgpu unfused',
  [OURS_BLOCKS]: 'cnn-webgpu blocks',
};

export interface LoadOptions extends OursOptions {
  /** Where onnxruntime-web's .wasm files are served (a URL prefix ending in '/'). */
  ortWasmPaths?: string;
}

/** TF.js core with every gradient and both backends registered (loaded only when a TF.js baseline runs). */
export async function tfjs(): Promise<typeof import('@tensorflow/tfjs-core')> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-cpu');
  await import('@tensorflow/tfjs-backend-webgpu');
  return tf;
}

async function start(id: string, o: LoadOptions): Promise<BenchEngine> {
  switch (id) {
    case 'tfjs-webgpu':
    case 'tfjs-cpu': {
      const { createTfjsEngine } = await import('./tfjs.js');
      return createTfjsEngine(await tfjs(), id === 'tfjs-webgpu' ? 'webgpu' : 'cpu', () => import('@tensorflow/tfjs-layers'), o.modelBase);
    }
    case 'jax-webgpu': {
      const { createJaxEngine } = await import('./jax.js');
      return createJaxEngine(await import('@jax-js/jax'));
    }
    case 'ort-webgpu': {
      const { createOrtEngine } = await import('./ort.js');
      return createOrtEngine(await import('onnxruntime-web/webgpu'), o.ortWasmPaths);
    }
    case OURS_UNFUSED: {
      const e = await createOursEngine({ ...o, unfused: true, trace: false });
      return { ...e, id: OURS_UNFUSED, label: ENGINE_LABELS[OURS_UNFUSED]! };
    }
    case OURS_BLOCKS: {
      const e = await createOursEngine({ ...o, trace: false });
      e.engine.tuning.conv2d = 'vec4';
      return { ...e, id: OURS_BLOCKS, label: ENGINE_LABELS[OURS_BLOCKS]! };
    }
    default:
      throw new Error(`unknown engine '${id}' (known: ${[...ENGINE_IDS, OURS_UNFUSED, OURS_BLOCKS].join(', ')})`);
  }
}

/** An engine that could not start: every row says why. */
function failed(id: string, err: unknown): BenchEngine {
  const why = `did not start: ${err instanceof Error ? err.message : String(err)}`.split('\n')[0]!;
  return {
    id, label: ENGINE_LABELS[id] ?? id, gpu: false,
    unsupported: () => why,
    prepare: () => Promise.reject(new Error(why)),
    dispose: () => undefined,
  };
}

/** Our engine first (the ratios are of it), then the baselines in the order given. */
export async function loadEngines(ids: readonly string[], o: LoadOptions = {}): Promise<BenchEngine[]> {
  const ours: OursEngine = await createOursEngine(o);
  const engines: BenchEngine[] = [ours];
  for (const id of ids) {
    if (id === OURS || engines.some((e) => e.id === id)) continue;
    try {
      engines.push(await start(id, o));
    } catch (err) {
      engines.push(failed(id, err));
    }
  }
  return engines;
}
