/**
 * The benchmark suite: every case (bench/cases.ts) on every engine, one case at a time so all
 * engines run the same inputs on the same adapter in the same page, each engine's output checked
 * against the reference (ours, else the first engine that ran) before it is timed. Engines whose
 * numbers differ are reported as mismatches, not timed. The engines that pass are then sampled in
 * rounds (bench/measure.ts), all of them alive at once, so drifting load hits them alike.
 *
 * @example
 * const ours = await createOursEngine();
 * const tfjs = await createTfjsEngine(tf, 'webgpu');
 * const result = await runSuite([ours, tfjs], selectCases(allCases(), { ops: 'conv2d' }), { samples: 30 }, { adapter, browser });
 * console.log(markdownReport(result));
 */
import { caseInputs } from './data.js';
import { coldCall, judgeOutput, takeSamples, warmUp, type Plan, type Reference } from './measure.js';
import { geomean, relativeError, summarize } from './stats.js';
import { FAMILY_GROUPS, OP_FAMILIES, DEFAULT_OPTIONS } from './types.js';
import type {
  AdapterReport, BenchCase, BenchEngine, CaseInputs, Measurement, PreparedCase, Progress, RowResult, SuiteOptions, SuiteResult,
} from './types.js';

export { allCases, selectCases, NETWORKS } from './cases.js';

export interface SuiteHooks {
  adapter: AdapterReport;
  /** Browser name and version (the CLI knows it exactly; a page reads the user agent). */
  browser: string;
  onProgress?(p: Progress): void;
  onRow?(row: RowResult): void;
  signal?: AbortSignal;
}

/** The case's rate at `ms` per call, in its unit. */
export function rateOf(c: BenchCase, ms: number): number {
  if (c.unit === 'images/s') {
    const images = c.spec.kind === 'train' ? c.spec.batch : c.spec.kind === 'model' || c.spec.kind === 'explain' ? c.spec.x[0] : NaN;
    return images / (ms / 1000);
  }
  return (c.unit === 'GB/s' ? c.bytes : c.flops) / (ms * 1e6);
}

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}

/** An engine that passed the check on the case, waiting for its samples. */
interface Live {
  engine: BenchEngine;
  prepared: PreparedCase;
  m: Measurement;
  plan: Plan;
  wall: number[];
  gpu: number[] | null;
}

/**
 * Prepares the case on one engine, makes the cold call and compares the output with the
 * reference (the first engine to produce one). Returns the engine ready for sampling, or its
 * final measurement (n/a, mismatch, error).
 */
async function check(
  e: BenchEngine, c: BenchCase, inputs: CaseInputs, o: SuiteOptions, ref: Reference,
): Promise<Live | Measurement> {
  const reason = e.unsupported(c);
  if (reason) return { status: 'n/a', note: reason };
  let p: PreparedCase | null = null;
  try {
    p = await e.prepare(c, inputs);
    const coldMs = await coldCall(p);
    const judged = judgeOutput(e.id, await p.output(), ref, o.tolerance, relativeError);
    if (!judged.ok) {
      p.dispose();
      if (judged.relError === undefined) return { status: 'error', note: judged.note };
      return { status: 'mismatch', note: judged.note, relError: judged.relError, coldMs, variant: p.variant, dispatches: p.dispatches };
    }
    const { relError } = judged;
    const plan = await warmUp(p, o, coldMs);
    return { engine: e, prepared: p, plan, wall: [], gpu: e.gpu ? [] : null, m: { status: 'ok', coldMs, relError, variant: p.variant, dispatches: p.dispatches, inner: plan.inner } };
  } catch (err) {
    p?.dispose();
    return { status: 'error', note: message(err) };
  }
}

function finish(c: BenchCase, l: Live): Measurement {
  const m = l.m;
  m.wallMs = summarize(l.wall);
  m.gpuMs = l.gpu && l.gpu.length === l.wall.length ? summarize(l.gpu) : null;
  m.rate = rateOf(c, m.wallMs.median);
  m.gpuRate = m.gpuMs ? rateOf(c, m.gpuMs.median) : null;
  return m;
}

/** One row: check every engine, then sample the ones that passed in rounds. */
async function measureRow(
  engines: readonly BenchEngine[], c: BenchCase, o: SuiteOptions, hooks: SuiteHooks,
  progress: (e: BenchEngine, m: Measurement) => void, status: (message: string) => void,
): Promise<{ results: Record<string, Measurement>; reference: string | null }> {
  const inputs = caseInputs(c, o.seed);
  const ref = { id: null as string | null, out: null as Float32Array | null };
  const results: Record<string, Measurement> = {};
  const live: Live[] = [];
  try {
    for (const e of engines) {
      if (hooks.signal?.aborted) throw new DOMException('the benchmark was stopped', 'AbortError');
      status(`${c.id} · ${e.label}: checking and warming up`);
      const r = await check(e, c, inputs, o, ref);
      if ('prepared' in r) live.push(r);
      else results[e.id] = r;
    }
    const rounds = Math.max(1, o.rounds);
    for (let round = 0; round < rounds; round++) {
      for (const l of [...live]) {
        const share = Math.floor((l.plan.samples * (round + 1)) / rounds) - Math.floor((l.plan.samples * round) / rounds);
        if (share === 0) continue;
        status(`${c.id} · ${l.engine.label}: samples, round ${round + 1} of ${rounds}`);
        try {
          const s = await takeSamples(l.prepared, l.engine.gpu, o, l.plan.inner, share, hooks.signal);
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
    for (const l of live) results[l.engine.id] = finish(c, l);
  } finally {
    for (const l of live) l.prepared.dispose();
  }
  for (const e of engines) progress(e, results[e.id]!);
  return { results, reference: ref.id };
}

function ratio(base: Measurement | undefined, ours: Measurement | undefined, key: 'wallMs' | 'gpuMs'): number | null {
  const b = base?.status === 'ok' ? base[key]?.median : undefined;
  const a = ours?.status === 'ok' ? ours[key]?.median : undefined;
  return a && b && a > 0 ? b / a : null;
}

/** Runs the cases on the engines (the first is ours: the ratios are of it) and summarises them. */
export async function runSuite(
  engines: readonly BenchEngine[], cases: readonly BenchCase[], options: Partial<SuiteOptions>, hooks: SuiteHooks,
): Promise<SuiteResult> {
  const o: SuiteOptions = { ...DEFAULT_OPTIONS, ...options };
  const t0 = performance.now();
  const ours = engines[0]?.id ?? 'none';
  const rows: RowResult[] = [];
  const total = cases.length * engines.length;
  let done = 0;
  for (const c of cases) {
    const { results, reference } = await measureRow(engines, c, o, hooks, (e, m) => {
      done++;
      const what = m.status === 'ok' ? `${m.wallMs!.median.toPrecision(3)} ms` : `${m.status}${m.note ? `: ${m.note}` : ''}`;
      hooks.onProgress?.({ done, total, caseId: c.id, engine: e.id, message: `${c.id} · ${e.label}: ${what}` });
    }, (message) => hooks.onProgress?.({ done, total, caseId: c.id, engine: '', message }));
    const ratios: Record<string, number | null> = {};
    const gpuRatios: Record<string, number | null> = {};
    for (const e of engines.slice(1)) {
      ratios[e.id] = ratio(results[e.id], results[ours], 'wallMs');
      gpuRatios[e.id] = ratio(results[e.id], results[ours], 'gpuMs');
    }
    const row: RowResult = { case: c, results, ratios, gpuRatios, reference };
    rows.push(row);
    hooks.onRow?.(row);
  }
  const baselines = engines.slice(1).map((e) => e.id);
  return {
    meta: {
      date: new Date().toISOString(),
      adapter: hooks.adapter,
      browser: hooks.browser,
      userAgent: typeof navigator === 'undefined' ? '' : navigator.userAgent,
      options: o,
      engines: engines.map((e) => ({ id: e.id, label: e.label })),
      ours,
      durationMs: performance.now() - t0,
    },
    rows,
    geomeanByFamily: geomeans(rows, baselines, 'ratios'),
    geomeanAll: Object.fromEntries(baselines.map((b) => [b, geomean(rows.map((r) => r.ratios[b]))])),
    gpuGeomeanByFamily: geomeans(rows, baselines, 'gpuRatios'),
  };
}

/** Per op family (and the family groups), per baseline, the geometric mean of the rows' ratios. */
export function geomeans(rows: readonly RowResult[], baselines: readonly string[], key: 'ratios' | 'gpuRatios'): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  const groups: [string, readonly string[]][] = [
    ...OP_FAMILIES.map((f) => [f, [f]] as [string, string[]]),
    ...Object.entries(FAMILY_GROUPS),
  ];
  for (const [name, fams] of groups) {
    const inFam = rows.filter((r) => fams.includes(r.case.family));
    if (inFam.length === 0) continue;
    out[name] = Object.fromEntries(baselines.map((b) => [b, geomean(inFam.map((r) => r[key][b]))]));
  }
  return out;
}
