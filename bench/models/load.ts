/**
 * Starts the engines of the whole-model benchmark. Each id is one column; behind it, one adapter
 * per kind of row (forward, viewer, training). Baselines are imported on demand; one that fails to
 * start stays in the table with the reason on each of its rows.
 */
import { CnnError, createEngine, type Engine } from '../../src/index.js';
import { oursModelEngine, ortModelEngine, tfjsModelEngine } from './forward.js';
import { oursTrainEngine, tfjsTrainEngine } from './train.js';
import { viewerEngine } from './viewer.js';
import type { ModelCase, ModelEngine, ModelRowKind } from './types.js';
import { tfjs } from '../engines/load.js';

export const MODEL_BASELINES = ['ort-webgpu', 'ort-wasm', 'tfjs-webgpu', 'tfjs-cpu', 'jax-webgpu'] as const;

export const MODEL_ENGINE_LABELS: Record<string, string> = {
  'cnn-webgpu': 'cnn-webgpu',
  'ort-webgpu': 'ORT Web WebGPU',
  'ort-wasm': 'ORT Web wasm',
  'tfjs-webgpu': 'TF.js WebGPU',
  'tfjs-cpu': 'TF.js CPU',
  'jax-webgpu': 'jax-js WebGPU',
};

export interface ModelLoadOptions {
  /** Where onnxruntime-web's .wasm files are served (a URL prefix ending in '/'). */
  ortWasmPaths?: string;
  /** Where the files are served (default: the page's origin). */
  base?: string;
  device?: GPUDevice;
}

/** One column: the adapter for each kind of row it runs. */
function column(id: string, gpu: boolean, byKind: Partial<Record<ModelRowKind, ModelEngine>>, dispose?: () => void): ModelEngine {
  return {
    id,
    label: MODEL_ENGINE_LABELS[id] ?? id,
    gpu,
    unsupported: (c: ModelCase) => {
      const a = byKind[c.kind];
      return a ? a.unsupported(c) : c.kind === 'viewer' ? 'the viewer is ours' : `no ${c.kind} rows`;
    },
    prepare: (c, x) => byKind[c.kind]!.prepare(c, x),
    dispose: () => dispose?.(),
  };
}

async function start(id: string, o: ModelLoadOptions, base: string, ours: Engine): Promise<ModelEngine> {
  switch (id) {
    case 'ort-webgpu':
    case 'ort-wasm': {
      const ort = await import('onnxruntime-web/webgpu');
      if (o.ortWasmPaths) ort.env.wasm.wasmPaths = o.ortWasmPaths;
      // Threads need a cross-origin-isolated page.
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'error';
      const ep = id === 'ort-webgpu' ? 'webgpu' : 'wasm';
      return column(id, ep === 'webgpu', { forward: ortModelEngine(ort, ep, base) });
    }
    case 'tfjs-webgpu':
    case 'tfjs-cpu': {
      const tf = await tfjs();
      const backend = id === 'tfjs-webgpu' ? 'webgpu' : 'cpu';
      if (!(await tf.setBackend(backend))) throw new CnnError('model bench', `TensorFlow.js could not start its ${backend} backend`);
      const layers = () => import('@tensorflow/tfjs-layers');
      return column(id, backend === 'webgpu', { forward: tfjsModelEngine(tf, backend, layers, base), train: tfjsTrainEngine(tf, backend, layers, ours) });
    }
    case 'jax-webgpu': {
      const jax = await import('@jax-js/jax');
      const devices = await jax.init('webgpu');
      if (!devices.includes('webgpu')) throw new CnnError('model bench', 'jax-js found no WebGPU device');
      jax.defaultDevice('webgpu');
      const { jaxTrainEngine } = await import('./train_jax.js');
      return column(id, true, { train: jaxTrainEngine(jax, ours) });
    }
    default:
      throw new CnnError('model bench', `unknown engine '${id}' (known: ${MODEL_BASELINES.join(', ')})`);
  }
}

function failed(id: string, err: unknown): ModelEngine {
  const why = `did not start: ${err instanceof Error ? err.message : String(err)}`.split('\n')[0]!;
  return { id, label: MODEL_ENGINE_LABELS[id] ?? id, gpu: false, unsupported: () => why, prepare: () => Promise.reject(new CnnError('model bench', why)), dispose: () => undefined };
}

/** Ours first (the ratios are of it), then the baselines asked for. */
export async function loadModelEngines(ids: readonly string[], o: ModelLoadOptions = {}): Promise<{ engines: ModelEngine[]; ours: Engine }> {
  const base = o.base ?? location.origin + '/';
  const ours = await createEngine(o.device ? { device: o.device } : {});
  // Training gets an engine (and device) of its own, as a training page has: after several
  // networks' forward passes on one engine, Model.fit once read a stale non-finite flag (NOTES.md).
  const trainer = await createEngine({});
  const engines: ModelEngine[] = [
    column('cnn-webgpu', true, { forward: oursModelEngine(ours, base), train: oursTrainEngine(trainer), viewer: viewerEngine(base) }, () => {
      ours.destroy();
      trainer.destroy();
    }),
  ];
  for (const id of ids) {
    if (id === 'cnn-webgpu' || engines.some((e) => e.id === id)) continue;
    try {
      engines.push(await start(id, o, base, trainer));
    } catch (err) {
      engines.push(failed(id, err));
    }
  }
  return { engines, ours };
}

/**
 * Which selected ONNX rows have no file to load, with what makes them (checked by fetching each
 * file's head, so the run says what is missing instead of failing on it).
 */
export async function findMissing(cases: readonly ModelCase[], base: string): Promise<{ missing: { model: string; why: string }[]; present: ModelCase[] }> {
  const missing: { model: string; why: string }[] = [];
  const present: ModelCase[] = [];
  for (const c of cases) {
    if (c.format !== 'onnx') {
      present.push(c);
      continue;
    }
    const res = await fetch(new URL(c.url, base), { method: 'HEAD' }).catch(() => null);
    if (res?.ok) {
      present.push(c);
      continue;
    }
    const b = c.x[0];
    missing.push({
      model: c.id,
      why: `${c.url} not found; make it with: /tmp/onnxenv/bin/python tools/onnx/landmarks.py --only ${c.model}${b === 1 ? '' : ` --batch ${b}`} [--out DIR]`,
    });
  }
  return { missing, present };
}
