/**
 * Runs the whole-model rows: per row, every engine loads the same file and runs the same seeded
 * input; each output is compared with the reference (ours, else the first engine to produce one)
 * before anything is timed, so a mismatch is reported and not timed. Then one call observes the
 * memory each engine holds, and the engines that passed are sampled in rounds (bench/measure.ts),
 * all alive at once. Heavy rows get their own sample count and a time cap.
 *
 * @example
 * const result = await runModelSuite(engines, selectModelCases(allModelCases(), { models: 'squeezenet' }), { samples: 3 }, hooks);
 * console.log(modelMarkdown(result));
 */
import { Rng } from '../data.js';
import { coldCall, judgeOutput, takeSamples, warmUp, type Plan, type Reference } from '../measure.js';
import { geomean, summarize } from '../stats.js';
import type { SuiteOptions } from '../types.js';
import type { SuiteHooks } from '../suite.js';
import { MODEL_DEFAULTS, type ModelCase, type ModelEngine, type ModelMeasurement, type ModelRowResult, type ModelSuiteOptions, type ModelSuiteResult, type PreparedModel } from './types.js';

/** The row's input: seeded values uniform in its range, NHWC (a training row: every batch of its epoch). */
export function modelInput(c: ModelCase, seed: number): Float32Array {
  const rng = new Rng(seed);
  const [lo, hi] = c.range;
  const [n, h, w, ch] = c.x;
  const count = (c.kind === 'train' ? c.images : n) * h * w * ch;
  return Float32Array.from({ length: count }, () => lo + (hi - lo) * rng.next());
}

/** ‖a − b‖ / ‖b‖ of each output row with its mean removed (a softmax's logits are free up to a shift per row). */
export function centredError(a: Float32Array, b: Float32Array, rows: number): number {
  if (a.length !== b.length) return Infinity;
  const n = a.length / rows;
  let num = 0;
  let den = 0;
  for (let r = 0; r < rows; r++) {
    let ma = 0;
    let mb = 0;
    for (let i = 0; i < n; i++) {
      ma += a[r * n + i]!;
      mb += b[r * n + i]!;
    }
    ma /= n;
    mb /= n;
    for (let i = 0; i < n; i++) {
      const d = a[r * n + i]! - ma - (b[r * n + i]! - mb);
      num += d * d;
      den += (b[r * n + i]! - mb) ** 2;
    }
  }
  return Number.isFinite(num) ? Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30) : Infinity;
}

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

interface Live {
  engine: ModelEngine;
  prepared: PreparedModel;
  m: ModelMeasurement;
  plan: Plan;
  wall: number[];
  gpu: number[] | null;
}

function measureOptions(o: ModelSuiteOptions, c: ModelCase): SuiteOptions {
  return {
    samples: c.heavy ? o.heavySamples : o.samples, rounds: o.rounds, warmup: o.warmup, minSampleMs: o.minSampleMs, maxInner: o.maxInner,
    maxSecondsPerMeasurement: o.maxSecondsPerMeasurement, tolerance: o.tolerance, gpuTimer: o.gpuTimer, seed: o.seed,
  };
}

async function check(
  e: ModelEngine, c: ModelCase, x: Float32Array, o: SuiteOptions, ref: Reference,
): Promise<Live | ModelMeasurement> {
  const reason = e.unsupported(c);
  if (reason) return { status: 'n/a', note: reason };
  let p: PreparedModel | null = null;
  try {
    p = await e.prepare(c, x);
    const coldMs = await coldCall(p);
    const judged = judgeOutput(e.id, await p.output(), ref, o.tolerance, (out, r) => centredError(out, r, c.kind === 'train' ? 1 : c.x[0]));
    if (!judged.ok) {
      const memory = judged.relError === undefined ? undefined : await p.memory?.().catch(() => undefined);
      p.dispose();
      if (judged.relError === undefined) return { status: 'error', note: judged.note, coldMs };
      return { status: 'mismatch', note: judged.note, relError: judged.relError, coldMs, memory };
    }
    const { relError } = judged;
    const memory = await p.memory?.();
    const plan = await warmUp(p, o, coldMs);
    // A whole network can take a minute a call on a software adapter: under a cap, as few as two
    // samples (the kernel suite keeps five), judged from the cold call, which is never shorter.
    if (o.maxSecondsPerMeasurement > 0) plan.samples = Math.max(Math.min(plan.samples, 2), Math.min(plan.samples, Math.floor((o.maxSecondsPerMeasurement * 1000) / (coldMs * plan.inner))));
    return { engine: e, prepared: p, plan, wall: [], gpu: e.gpu ? [] : null, m: { status: 'ok', coldMs, relError, inner: plan.inner, memory } };
  } catch (err) {
    p?.dispose();
    return { status: 'error', note: message(err) };
  }
}

/** Runs the rows on the engines (the first is ours: the ratios are of it). */
export async function runModelSuite(
  engines: readonly ModelEngine[], cases: readonly ModelCase[], options: Partial<ModelSuiteOptions>, hooks: SuiteHooks & { missing?: { model: string; why: string }[] },
): Promise<ModelSuiteResult> {
  const o: ModelSuiteOptions = { ...MODEL_DEFAULTS, ...options };
  const t0 = performance.now();
  const ours = engines[0]?.id ?? 'none';
  const rows: ModelRowResult[] = [];
  const total = cases.length * engines.length;
  let done = 0;
  const status = (caseId: string, message: string) => hooks.onProgress?.({ done, total, caseId, engine: '', message });
  for (const c of cases) {
    const mo = measureOptions(o, c);
    const x = modelInput(c, o.seed);
    const ref = { id: null as string | null, out: null as Float32Array | null };
    const results: Record<string, ModelMeasurement> = {};
    const live: Live[] = [];
    try {
      for (const e of engines) {
        if (hooks.signal?.aborted) throw new DOMException('the benchmark was stopped', 'AbortError');
        status(c.id, `${c.id} · ${e.label}: loading, checking, warming up`);
        const r = await check(e, c, x, mo, ref);
        if ('prepared' in r) live.push(r);
        else results[e.id] = r;
      }
      const rounds = Math.max(1, mo.rounds);
      for (let round = 0; round < rounds; round++) {
        for (const l of [...live]) {
          const share = Math.floor((l.plan.samples * (round + 1)) / rounds) - Math.floor((l.plan.samples * round) / rounds);
          if (share === 0) continue;
          status(c.id, `${c.id} · ${l.engine.label}: samples, round ${round + 1} of ${rounds}`);
          try {
            const s = await takeSamples(l.prepared, l.engine.gpu, mo, l.plan.inner, share, hooks.signal);
            l.wall.push(...s.wall);
            if (l.gpu && s.gpu) l.gpu.push(...s.gpu);
            else l.gpu = null;
          } catch (err) {
            if (hooks.signal?.aborted) throw err;
            results[l.engine.id] = { ...l.m, status: 'error', note: message(err) };
            l.prepared.dispose();
            live.splice(live.indexOf(l), 1);
          }
        }
      }
      for (const l of live) {
        const wall = summarize(l.wall);
        const gpu = l.gpu && l.gpu.length === l.wall.length ? summarize(l.gpu) : null;
        results[l.engine.id] = { ...l.m, wallMs: wall, gpuMs: gpu, rate: c.images / (wall.median / 1000), gpuRate: gpu ? c.images / (gpu.median / 1000) : null };
      }
    } finally {
      for (const l of live) l.prepared.dispose();
    }
    for (const e of engines) {
      done++;
      const m = results[e.id] ?? { status: 'n/a' as const };
      results[e.id] = m;
      const what = m.status === 'ok' ? `${m.wallMs!.median.toPrecision(3)} ms` : `${m.status}${m.note ? `: ${m.note}` : ''}`;
      hooks.onProgress?.({ done, total, caseId: c.id, engine: e.id, message: `${c.id} · ${e.label}: ${what}` });
    }
    const ratios: Record<string, number | null> = {};
    const a = results[ours]?.status === 'ok' ? results[ours]!.wallMs!.median : null;
    for (const e of engines.slice(1)) {
      const b = results[e.id]?.status === 'ok' ? results[e.id]!.wallMs!.median : null;
      ratios[e.id] = a && b ? b / a : null;
    }
    rows.push({ case: c, results, ratios, reference: ref.id });
  }
  const baselines = engines.slice(1).map((e) => e.id);
  return {
    kind: 'models',
    meta: {
      date: new Date().toISOString(),
      adapter: hooks.adapter,
      browser: hooks.browser,
      userAgent: typeof navigator === 'undefined' ? '' : navigator.userAgent,
      options: o,
      engines: engines.map((e) => ({ id: e.id, label: e.label })),
      ours,
      durationMs: performance.now() - t0,
      missing: hooks.missing ?? [],
    },
    rows,
    geomeanForward: Object.fromEntries(baselines.map((b) => [b, geomean(rows.filter((r) => r.case.kind === 'forward').map((r) => r.ratios[b]))])),
  };
}
