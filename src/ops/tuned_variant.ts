/**
 * The one way an op consults the autotuner (src/gpu/autotuner.ts): the stored winner of its shape
 * class when there is one, else the op's rule, queueing a job that times every candidate variant.
 */
import type { Engine } from '../engine.js';
import type { Shader } from '../gpu/shader.js';

export interface TuningSetup<V extends string> {
  /** Records one call of the op with `variant` forced. */
  run(variant: V): void;
  /** Frees what the setup allocated for timing. */
  dispose(): void;
}

/**
 * @param shader the kernels' shader: its hash is part of the key, so a changed kernel is re-tuned.
 * @param key the shape class: shapes that should share a winner.
 * @param candidates the variants valid for this call; fewer than two means nothing to tune.
 * @param setup called when the job runs, so it may allocate inputs of the shape class then.
 */
export function tunedVariant<V extends string>(engine: Engine, shader: Shader, shapeClass: string, rule: V, candidates: readonly V[], setup: () => TuningSetup<V>): V {
  const tuner = engine.autotuner;
  const key = `${shapeClass}@${shader.hash}`;
  if (!tuner || candidates.length < 2) return rule;
  const won = tuner.winner(key) as V | undefined;
  if (won && candidates.includes(won)) return won;
  tuner.request(engine, key, () => {
    const s = setup();
    return { list: candidates.map((name) => ({ name, run: () => s.run(name) })), dispose: () => s.dispose() };
  });
  return rule;
}

/** log2 of n, rounded: sizes within a factor of about √2 share a shape class. */
export function sizeClassOf(n: number): number {
  return Math.round(Math.log2(Math.max(n, 1)));
}
