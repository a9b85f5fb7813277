/**
 * How one engine is timed on one case: a cold call (pipeline compilation included), warm-up calls,
 * then samples of `inner` calls each, every sample ending when the device reports the work done
 * (`queue.onSubmittedWorkDone`, through the adapter's `sync`). Nothing is read back and nothing is
 * allocated by the harness inside the loop; the adapters dispose each output at once, so the
 * engines' buffer pools hand the same memory back. GPU time comes from the timestamp recorder,
 * resolved once after each batch of samples.
 *
 * The suite takes the samples in rounds, engine after engine within a round, so that a machine
 * whose load drifts during a row (a shared CI box) shifts every engine's numbers alike.
 */
import { startRecording, installGpuTimer } from './gpu_timer.js';
import type { PreparedCase, SuiteOptions } from './types.js';

const now = () => performance.now();

async function callAndWait(p: PreparedCase, inner: number): Promise<number> {
  const t0 = now();
  for (let i = 0; i < inner; i++) {
    const r = p.run();
    if (r) await r;
  }
  await p.sync();
  return now() - t0;
}

/** The cold call: the first on this prepared case. */
export function coldCall(p: PreparedCase): Promise<number> {
  return callAndWait(p, 1);
}

/** After the warm-up: calls per sample, and how many samples to take. */
export interface Plan {
  inner: number;
  samples: number;
}

/**
 * Warm-up calls; returns how to sample (more calls per sample where one is short, fewer samples
 * where a cap demands). `inner` is sized from trial samples, not from one call: a single call's time
 * includes the wait for the device (about a millisecond on a software adapter), which would make a
 * 30 µs op look 30 times longer and leave its samples mostly waiting.
 */
export async function warmUp(p: PreparedCase, o: SuiteOptions, coldMs = 0): Promise<Plan> {
  const budgetMs = o.maxSecondsPerMeasurement * 1000;
  // A call that alone eats a fifth of the budget has warmed up in its cold call already.
  const warmups = budgetMs > 0 && coldMs * 5 > budgetMs ? 0 : Math.max(1, o.warmup);
  let last = coldMs;
  for (let i = 0; i < warmups; i++) last = await callAndWait(p, 1);
  let inner = 1;
  let sampleMs = last;
  while (sampleMs < o.minSampleMs && inner < o.maxInner) {
    const grow = sampleMs > 0 ? Math.ceil((o.minSampleMs * 1.2) / (sampleMs / inner)) : inner * 4;
    inner = Math.min(o.maxInner, Math.max(inner * 2, grow));
    sampleMs = await callAndWait(p, inner);
  }
  let samples = Math.max(1, o.samples);
  if (budgetMs > 0) {
    const fit = Math.floor(budgetMs / Math.max(sampleMs, 1e-3));
    samples = Math.max(Math.min(samples, 5), Math.min(samples, fit));
  }
  return { inner, samples };
}

/**
 * `count` samples: per-call wall milliseconds, and per-call GPU milliseconds where the engine runs
 * on a device with timestamps (null otherwise).
 */
export async function takeSamples(
  p: PreparedCase, gpu: boolean, o: SuiteOptions, inner: number, count: number, signal?: AbortSignal,
): Promise<{ wall: number[]; gpu: number[] | null }> {
  const recording = gpu && o.gpuTimer && installGpuTimer() ? startRecording() : null;
  const wall: number[] = [];
  try {
    for (let s = 0; s < count; s++) {
      if (signal?.aborted) throw new DOMException('the benchmark was stopped', 'AbortError');
      recording?.sample(s);
      wall.push((await callAndWait(p, inner)) / inner);
    }
  } catch (err) {
    // Disarm (and free the query sets) before the error goes on.
    await recording?.finish(0).catch(() => null);
    throw err;
  }
  recording?.sample(-1);
  const totals = recording ? await recording.finish(wall.length) : null;
  return { wall, gpu: totals ? totals.map((ms) => ms / inner) : null };
}

/** The reference an engine's output is compared with: the first engine's to give a finite one. */
export interface Reference {
  id: string | null;
  out: Float32Array | null;
}

/**
 * Whether engine `id`'s output agrees with the reference (and becomes it, when there is none yet):
 * ok with its relative error, or a note saying what is wrong (non-finite values; a mismatch, with
 * its error). `error` measures the difference (a kernel's relative L2, a network's row-centred one).
 */
export function judgeOutput(
  id: string, out: Float32Array, ref: Reference, tolerance: number, error: (out: Float32Array, ref: Float32Array) => number,
): { ok: true; relError: number } | { ok: false; note: string; relError?: number } {
  if (ref.out === null) {
    if (out.some((v) => !Number.isFinite(v))) return { ok: false, note: 'the output has NaN or infinite values' };
    ref.out = out;
    ref.id = id;
    return { ok: true, relError: 0 };
  }
  const relError = error(out, ref.out);
  if (relError <= tolerance) return { ok: true, relError };
  const what = out.length !== ref.out.length ? `${out.length} values where ${ref.id} gives ${ref.out.length}` : `‖out − ${ref.id}‖/‖${ref.id}‖ = ${relError.toExponential(2)}`;
  return { ok: false, note: `wrong numbers: ${what}`, relError };
}
