/** Our engine as a benchmark adapter: every op straight from the Engine's methods. */
import { createEngine, type Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';
import { chooseConv2dVariant, type Conv2dVariant } from '../../src/ops/conv2d.js';
import { windowGeometry } from '../../src/ops/conv_geometry.js';
import { chooseMatMulVariant } from '../../src/ops/matmul.js';
import { chooseDepthwiseVariant } from '../../src/ops/depthwise_conv2d.js';
import { lenetStep, type LenetState } from './ours_lenet.js';
import { trainOutput } from './train_output.js';
import type { BenchCase, BenchEngine, CaseInputs, ConvSpec, PoolSpec, PreparedCase } from '../types.js';

export const OURS = 'cnn-webgpu';

/** The depthwise ops arrive with a later change; until then their rows say n/a. */
interface DepthwiseOps {
  depthwiseConv2d(x: Tensor, w: Tensor, opts: object): Tensor;
  depthwiseConv2dGradInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts: object): Tensor;
  depthwiseConv2dGradFilter(x: Tensor, dy: Tensor, wShape: readonly number[], opts: object): Tensor;
}

function hasDepthwise(e: Engine): e is Engine & DepthwiseOps {
  const d = e as unknown as Partial<DepthwiseOps>;
  return typeof d.depthwiseConv2d === 'function' && typeof d.depthwiseConv2dGradInput === 'function' && typeof d.depthwiseConv2dGradFilter === 'function';
}

export interface OursOptions {
  /** Forces a conv2d forward kernel instead of the per-adapter choice; 'autotune' times them first. */
  conv2dVariant?: 'auto' | 'autotune' | Conv2dVariant;
  /** Use this device (the element shares one); else the engine requests its own. */
  device?: GPUDevice;
}

export async function createOursEngine(options: OursOptions = {}): Promise<BenchEngine & { engine: Engine }> {
  const engine = await createEngine(options.device ? { device: options.device } : {});
  if (options.conv2dVariant === 'autotune') engine.enableAutotune(null);
  else if (options.conv2dVariant) engine.tuning.conv2d = options.conv2dVariant;
  return oursAdapter(engine, true);
}

/** The adapter over an existing engine; `owned`: destroy the engine with the adapter. */
export function oursAdapter(engine: Engine, owned = false): BenchEngine & { engine: Engine } {
  return {
    id: OURS,
    label: 'cnn-webgpu',
    gpu: true,
    engine,
    unsupported(c) {
      if (c.family.startsWith('depthwise') && !hasDepthwise(engine)) return 'engine.depthwiseConv2d is not in the engine yet';
      return null;
    },
    prepare: async (c, inputs) => {
      if (engine.autotuner) {
        // One call queues the tuning of whatever shape classes the case touches; finish it before
        // timing, so the kernels timed (and reported) are the winners.
        const trial = prepare(engine, c, inputs);
        await trial.run();
        trial.dispose();
        await engine.sync();
        await engine.autotuner.whenIdle();
      }
      return prepare(engine, c, inputs);
    },
    dispose: () => {
      if (owned) engine.destroy();
    },
  };
}

function upload(e: Engine, inputs: CaseInputs, name: string): Tensor {
  const v = inputs[name]!;
  return e.tensor(v.data, v.shape);
}

function prepare(e: Engine, c: BenchCase, inputs: CaseInputs): PreparedCase {
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
  const single = (call: () => Tensor, variant?: string): PreparedCase => ({
    ...base,
    variant,
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
  switch (spec.kind) {
    case 'conv': {
      const opts = { strides: spec.strides, pad: spec.pad };
      if (spec.depthwise) {
        if (!hasDepthwise(e)) throw new Error('no depthwiseConv2d');
        const d = e;
        if (c.family === 'depthwiseConv2d') {
          const [x, w] = [t('x'), t('w')];
          return single(() => d.depthwiseConv2d(x, w, opts), depthwiseVariant(e, 'forward', spec));
        }
        if (c.family === 'depthwiseConv2dGradInput') {
          const [dy, w] = [t('dy'), t('w')];
          return single(() => d.depthwiseConv2dGradInput(dy, w, spec.x, opts), depthwiseVariant(e, 'gradInput', spec));
        }
        const [x, dy] = [t('x'), t('dy')];
        return single(() => d.depthwiseConv2dGradFilter(x, dy, spec.w, opts));
      }
      if (c.family === 'conv2d') {
        const [x, w] = [t('x'), t('w')];
        return single(() => e.conv2d(x, w, opts), convVariant(e, spec));
      }
      if (c.family === 'conv2dGradInput') {
        const [dy, w] = [t('dy'), t('w')];
        return single(() => e.conv2dGradInput(dy, w, spec.x, opts), 'conv2d_grad_input');
      }
      const [x, dy] = [t('x'), t('dy')];
      return single(() => e.conv2dGradFilter(x, dy, spec.w, opts), 'conv2d_grad_filter');
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
      const [m, k] = a.shape as [number, number];
      const variant = { tiled: 'matmul', regs: 'matmul_regs', wide: 'matmul_wide_b4' }[chooseMatMulVariant(e, m, b.shape[1]!, k, false, false)];
      return single(() => e.matMul(a, b), variant);
    }
    case 'train': {
      const fresh = (): LenetState => ({ x: t('x'), labels: t('labels'), params: lenetParams(e, inputs) });
      const state = fresh();
      const lr = e.tensor([spec.learningRate], [1]);
      held.push(lr);
      return {
        ...base,
        run: () => lenetStep(e, state, lr).dispose(),
        output: async () => {
          const s = fresh();
          const loss = lenetStep(e, s, lr);
          try {
            const after: Record<string, Float32Array> = {};
            for (const [name, p] of Object.entries(s.params)) after[name] = await p.read();
            return trainOutput((await loss.read())[0]!, inputs, after, spec.learningRate);
          } finally {
            loss.dispose();
            for (const p of Object.values(s.params)) p.dispose();
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

function depthwiseVariant(e: Engine, op: 'forward' | 'gradInput', spec: ConvSpec): string {
  const g = windowGeometry('depthwiseConv2d', spec.x, spec.w[0], spec.w[1], { strides: spec.strides, pad: spec.pad });
  const name = op === 'forward' ? 'depthwise_conv2d' : 'depthwise_conv2d_grad_input';
  return chooseDepthwiseVariant(e, op, g, spec.w[3]) === 'wide' ? `${name}_wide` : name === 'depthwise_conv2d' ? 'depthwise_conv2d_block' : name;
}

function convVariant(e: Engine, spec: ConvSpec): string {
  const g = windowGeometry('conv2d', spec.x, spec.w[0], spec.w[1], { strides: spec.strides, pad: spec.pad });
  const v = chooseConv2dVariant(e, g, spec.w[3]);
  return { block: 'conv2d_block', vec4: 'conv2d_block_vec4', tiled: 'conv2d_tiled' }[v];
}

