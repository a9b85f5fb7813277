/**
 * Weight initialisers with Keras's definitions (glorot_uniform, he_normal, zeros, ones, and the
 * VarianceScaling family they belong to), drawn from a seeded generator. Each is stored in a layer's
 * config in the `{class_name, config}` form TensorFlow.js writes, so a saved model reads back there.
 */
import { SeededRandom } from './random.js';
import { CnnError } from '../errors.js';

export interface InitializerSpec {
  class_name: string;
  config: Record<string, unknown>;
}

// Maps, not object literals: a name from a file such as 'constructor' must not find Object's.
const VARIANCE_SCALING = new Map<string, { scale: number; mode: string; distribution: string }>([
  ['glorot_uniform', { scale: 1, mode: 'fan_avg', distribution: 'uniform' }],
  ['glorot_normal', { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' }],
  ['he_normal', { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' }],
  ['he_uniform', { scale: 2, mode: 'fan_in', distribution: 'uniform' }],
  ['lecun_normal', { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' }],
  ['lecun_uniform', { scale: 1, mode: 'fan_in', distribution: 'uniform' }],
]);

/** Keras class names (and TF.js's camelCase identifiers) for the snake_case names above. */
const ALIASES = new Map<string, string>(Object.entries({
  GlorotUniform: 'glorot_uniform', glorotUniform: 'glorot_uniform',
  GlorotNormal: 'glorot_normal', glorotNormal: 'glorot_normal',
  HeNormal: 'he_normal', heNormal: 'he_normal',
  HeUniform: 'he_uniform', heUniform: 'he_uniform',
  LecunNormal: 'lecun_normal', leCunNormal: 'lecun_normal',
  LecunUniform: 'lecun_uniform', leCunUniform: 'lecun_uniform',
  Zeros: 'zeros', Ones: 'ones', Constant: 'constant',
}));

/** Where an initialiser is configured, for errors: the layer's label and the config field. */
export interface InitializerField {
  op: string;
  key: string;
}

/**
 * The canonical `{class_name, config}` form of an initialiser given as a name ('he_normal'), a Keras
 * class name ('HeNormal') or an object. A bad one throws a CnnError naming `where` when given.
 */
export function parseInitializer(spec: unknown, where?: InitializerField): InitializerSpec {
  const fail = (message: string): never => {
    throw where ? new CnnError(where.op, `${where.key}: ${message}`) : new CnnError('initializer', message);
  };
  if (typeof spec === 'string') return canonical(ALIASES.get(spec) ?? spec, {}, fail);
  if (spec && typeof spec === 'object' && typeof (spec as InitializerSpec).class_name === 'string') {
    const s = spec as InitializerSpec;
    return canonical(ALIASES.get(s.class_name) ?? s.class_name, s.config ?? {}, fail);
  }
  return fail(`an initializer must be a name such as 'glorot_uniform' or {class_name, config}, got ${JSON.stringify(spec)}`);
}

function canonical(name: string, config: Record<string, unknown>, fail: (message: string) => never): InitializerSpec {
  const vs = VARIANCE_SCALING.get(name);
  if (vs) return { class_name: 'VarianceScaling', config: { ...vs, seed: null } };
  if (name === 'VarianceScaling') {
    const scale = Number(config.scale ?? 1);
    const mode = String(config.mode ?? 'fan_in');
    const distribution = String(config.distribution ?? 'truncated_normal');
    if (!(scale > 0)) fail(`VarianceScaling scale must be positive, got ${String(config.scale)}`);
    if (!['fan_in', 'fan_out', 'fan_avg'].includes(mode)) fail(`VarianceScaling mode must be fan_in, fan_out or fan_avg, got '${mode}'`);
    if (!['normal', 'truncated_normal', 'untruncated_normal', 'uniform'].includes(distribution)) {
      fail(`VarianceScaling distribution '${distribution}' is not supported`);
    }
    return { class_name: 'VarianceScaling', config: { scale, mode, distribution, seed: null } };
  }
  if (name === 'zeros') return { class_name: 'Zeros', config: {} };
  if (name === 'ones') return { class_name: 'Ones', config: {} };
  if (name === 'constant') return { class_name: 'Constant', config: { value: Number(config.value ?? 0) } };
  return fail(`the initializer '${name}' is not supported (supported: glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, VarianceScaling, zeros, ones, constant)`);
}

/** Keras's `_compute_fans`: a conv kernel's receptive field multiplies both fans. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Values of a weight of `shape` drawn from the initialiser. */
export function initialValues(spec: InitializerSpec, shape: readonly number[], rng: SeededRandom): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const c = spec.config;
  switch (spec.class_name) {
    case 'Zeros':
      return out;
    case 'Ones':
      return out.fill(1);
    case 'Constant':
      return out.fill(Number(c.value ?? 0));
    case 'VarianceScaling': {
      const { fanIn, fanOut } = fans(shape);
      const n = c.mode === 'fan_in' ? fanIn : c.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
      const scale = Number(c.scale) / Math.max(1, n);
      if (c.distribution === 'uniform') {
        const limit = Math.sqrt(3 * scale);
        for (let i = 0; i < size; i++) out[i] = (2 * rng.next() - 1) * limit;
      } else if (c.distribution === 'untruncated_normal') {
        const std = Math.sqrt(scale);
        for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
      } else {
        // 0.8796… is the standard deviation of a unit normal truncated at ±2: Keras divides by it so
        // that the truncated draw keeps the intended variance.
        const std = Math.sqrt(scale) / 0.8796256610342398;
        for (let i = 0; i < size; i++) out[i] = rng.truncatedNormal() * std;
      }
      return out;
    }
    default:
      throw new CnnError('initializer', `${spec.class_name} is not supported`);
  }
}
