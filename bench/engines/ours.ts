/**
 * Our engine as a benchmark adapter: every op straight from the Engine's methods, a forced conv2d
 * kernel through `launchConv2d`. Which kernels a row ran is not derived from the variant rules but
 * observed: the first call of each row runs under a dispatch trace (src/gpu/trace.ts).
 */
import { createEngine, type Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';
import { launchConv2d, type Conv2dVariant, type FusedConv2dOptions } from '../../src/ops/conv2d.js';
import { DispatchTrace } from '../../src/gpu/trace.js';
import { canTime, startRecording } from '../gpu_timer.js';
import { lenetStep, type LenetState } from './ours_lenet.js';
import { prepareModel } from './ours_model.js';
import { prepareExplain } from './ours_explain.js';
import { trainOutput } from './train_output.js';
import type { BenchCase, BenchEngine, CaseInputs, PoolSpec, PreparedCase } from '../types.js';

export const OURS = 'cnn-webgpu';

export interface OursOptions {
  /** Forces a conv2d forward kernel (conv2d and conv-layer rows) instead of the engine's choice; 'autotune' times them first. */
  conv2dVariant?: 'auto' | 'autotune' | Conv2dVariant;
  /**
   * Runs the layer rows and the training step's forward as separate dispatches (conv or matMul,
   * bias add, relu), as the layers did before the kernels took a fused epilogue.
   */
  unfused?: boolean;
  /**
   * Keeps a dispatch trace of one (untimed) call per row in the adapter's `traces` (for `--trace`),
   * each dispatch submitted alone and given its GPU time where the device has timestamp queries.
   */
  trace?: boolean;
  /** Where the model rows' files are fetched from (default: the page's origin). */
  modelBase?: string;
  /** Use this device (the element shares one); else the engine requests its own. */
  device?: GPUDevice;
}

export type OursEngine = BenchEngine & {
  engine: Engine;
  /** With `trace`: a timed trace of one call, by case id. */
  traces: Map<string, DispatchTrace>;
};

export async function createOursEngine(options: OursOptions = {}): Promise<OursEngine> {
  const engine = await createEngine(options.device ? { device: options.device } : {});
  if (options.conv2dVariant === 'autotune') engine.enableAutotune(null);
  return oursAdapter(engine, options, true);
}

interface Setup {
  forced: Conv2dVariant | null;
  unfused: boolean;
  modelBase: string | null;
}

/** The adapter over an existing engine; `owned`: destroy the engine with the adapter. */
export function oursAdapter(engine: Engine, options: OursOptions = {}, owned = false): OursEngine {
  const v = options.conv2dVariant;
  const setup: Setup = {
    forced: v && v !== 'auto' && v !== 'autotune' ? v : null,
    unfused: options.unfused ?? false,
    modelBase: options.modelBase ?? (typeof location === 'undefined' ? null : location.origin + '/'),
  };
  const traces = new Map<string, DispatchTrace>();
  return {
    id: OURS,
    label: 'cnn-webgpu',
    gpu: true,
    engine,
    traces,
    unsupported(c) {
      if ((c.spec.kind === 'model' || c.spec.kind === 'explain') && !setup.modelBase) return 'the model rows fetch model files from the page that serves the bench';
      return null;
    },
    prepare: async (c, inputs) => {
      if (engine.autotuner) {
        // One call queues the tuning of whatever shape classes the case touches; finish it before
        // timing, so the kernels timed (and reported) are the winners.
        const trial = await prepare(engine, setup, c, inputs);
        await trial.run();
        trial.dispose();
        await engine.sync();
        await engine.autotuner.whenIdle();
      }
      return observed(engine, await prepare(engine, setup, c, inputs), options.trace ? (t) => traces.set(c.id, t) : null);
    },
    dispose: () => {
      if (owned) engine.destroy();
    },
  };
}

/**
 * The case with its kernels observed: its first call (the suite's cold call) runs under a dispatch
 * trace, which names the kernels and counts the dispatches the suite reports; with `keep`, one
 * call of `output` (warm, never timed) is traced again with per-dispatch timing.
 */
function observed(e: Engine, p: PreparedCase, keep: ((t: DispatchTrace) => void) | null): PreparedCase {
  let first: DispatchTrace | null = null;
  return {
    run: () => {
      if (first) return p.run();
      const trace = DispatchTrace.start(e);
      try {
        return p.run();
      } finally {
        // Our calls record synchronously.
        first = trace.stop();
      }
    },
    sync: () => p.sync(),
    output: async () => {
      if (!keep) return p.output();
      // An idle queue first; then each dispatch in a submission (and a timed pass) of its own.
      await e.sync();
      const recording = canTime(e.device) ? startRecording() : null;
      let n = 0;
      // Subscribed before the trace, whose observer submits: the pass is counted as dispatch n.
      const mark = recording ? e.observeDispatches(() => recording.sample(n++)) : null;
      const trace = DispatchTrace.start(e, { submitEach: true });
      try {
        return await p.output();
      } finally {
        trace.stop();
        mark?.();
        const ms = recording ? await recording.finish(trace.count) : null;
        if (ms) trace.setGpuTimes(ms);
        keep(trace);
      }
    },
    get variant() {
      return first?.kernels();
    },
    get dispatches() {
      return first?.count;
    },
    dispose: () => p.dispose(),
  };
}

function upload(e: Engine, inputs: CaseInputs, name: string): Tensor {
  const v = inputs[name]!;
  return e.tensor(v.data, v.shape);
}

/** Bias add and relu as dispatches of their own, freeing what each replaces. */
function biasRelu(e: Engine, y: Tensor, bias: Tensor): Tensor {
  const z = e.add(y, bias);
  y.dispose();
  const r = e.relu(z);
  z.dispose();
  return r;
}

async function prepare(e: Engine, s: Setup, c: BenchCase, inputs: CaseInputs): Promise<PreparedCase> {
  const held: Tensor[] = [];
  const t = (name: string) => {
    const x = upload(e, inputs, name);
    held.push(x);
    return x;
  };
  const base = {
    sync: () => e.sync(),
    dispose: () => {
      for (const x of held) x.dispose();
    },
  };
  const spec = c.spec;
  // Ops that return one tensor: time `call`, dispose its output inside the loop (the pool reuses it).
  const single = (call: () => Tensor): PreparedCase => ({
    ...base,
    run: () => call().dispose(),
    output: async () => {
      const y = call();
      try {
        return await y.read();
      } finally {
        y.dispose();
      }
    },
  });
  const conv = (x: Tensor, w: Tensor, opts: FusedConv2dOptions) => (s.forced ? launchConv2d(e, s.forced, x, w, opts) : e.conv2d(x, w, opts));
  switch (spec.kind) {
    case 'conv': {
      const opts = { strides: spec.strides, pad: spec.pad };
      if (spec.depthwise) {
        if (c.family === 'depthwiseConv2d') {
          const [x, w] = [t('x'), t('w')];
          return single(() => e.depthwiseConv2d(x, w, opts));
        }
        if (c.family === 'depthwiseConv2dGradInput') {
          const [dy, w] = [t('dy'), t('w')];
          return single(() => e.depthwiseConv2dGradInput(dy, w, spec.x, opts));
        }
        const [x, dy] = [t('x'), t('dy')];
        return single(() => e.depthwiseConv2dGradFilter(x, dy, spec.w, opts));
      }
      if (c.family === 'conv2d') {
        const [x, w] = [t('x'), t('w')];
        return single(() => conv(x, w, opts));
      }
      if (c.family === 'convLayer') {
        const [x, w, bias] = [t('x'), t('w'), t('bias')];
        return single(s.unfused ? () => biasRelu(e, conv(x, w, opts), bias) : () => conv(x, w, { ...opts, bias, activation: 'relu' }));
      }
      if (c.family === 'conv2dGradInput') {
        const [dy, w] = [t('dy'), t('w')];
        return single(() => e.conv2dGradInput(dy, w, spec.x, opts));
      }
      const [x, dy] = [t('x'), t('dy')];
      return single(() => e.conv2dGradFilter(x, dy, spec.w, opts));
    }
    case 'pool': {
      const opts = poolOpts(spec);
      if (c.family === 'maxPool') {
        const x = t('x');
        return single(() => e.maxPool2d(x, opts));
      }
      if (c.family === 'avgPool') {
        const x = t('x');
        return single(() => e.avgPool2d(x, opts));
      }
      if (c.family === 'maxPoolGrad') {
        const [x, dy] = [t('x'), t('dy')];
        return single(() => e.maxPool2dGrad(dy, x, opts));
      }
      const dy = t('dy');
      return single(() => e.avgPool2dGrad(dy, spec.x, opts));
    }
    case 'matmul': {
      const [a, b] = [t('a'), t('b')];
      if (c.family === 'denseLayer') {
        const bias = t('bias');
        return single(s.unfused ? () => biasRelu(e, e.matMul(a, b), bias) : () => e.matMul(a, b, { bias, activation: 'relu' }));
      }
      return single(() => e.matMul(a, b));
    }
    case 'model':
    case 'explain': {
      const x = t('x');
      try {
        const m = spec.kind === 'model' ? await prepareModel(e, spec, x, s.modelBase!) : await prepareExplain(e, spec, x, s.modelBase!, inputs.baseline ? t('baseline') : undefined);
        return {
          ...base,
          ...m,
          dispose: () => {
            m.dispose();
            base.dispose();
          },
        };
      } catch (err) {
        base.dispose();
        throw err;
      }
    }
    case 'train': {
      const fused = !s.unfused;
      const fresh = (): LenetState => ({ x: t('x'), labels: t('labels'), params: lenetParams(e, inputs) });
      const state = fresh();
      const lr = e.tensor([spec.learningRate], [1]);
      held.push(lr);
      return {
        ...base,
        run: () => lenetStep(e, state, lr, fused).dispose(),
        output: async () => {
          const st = fresh();
          const loss = lenetStep(e, st, lr, fused);
          try {
            const after: Record<string, Float32Array> = {};
            for (const [name, p] of Object.entries(st.params)) after[name] = await p.read();
            return trainOutput((await loss.read())[0]!, inputs, after, spec.learningRate);
          } finally {
            loss.dispose();
            for (const p of Object.values(st.params)) p.dispose();
          }
        },
        dispose: () => {
          base.dispose();
          for (const p of Object.values(state.params)) p.dispose();
        },
      };
    }
  }
}

function lenetParams(e: Engine, inputs: CaseInputs): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w4', 'b4', 'w5', 'b5']) out[name] = upload(e, inputs, name);
  return out;
}

function poolOpts(spec: PoolSpec) {
  return { filterSize: spec.filterSize, strides: spec.strides, pad: spec.pad };
}
