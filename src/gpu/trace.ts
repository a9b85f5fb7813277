/**
 * A profiling trace of the dispatches an engine records, built on the scheduler's dispatch
 * observer: which kernels ran (shader, entry point, workgroups, bytes bound) and how often, per
 * dispatch and summed per kernel, exported as Chrome's trace-event JSON, which chrome://tracing
 * and Perfetto (ui.perfetto.dev) open.
 *
 * GPU time per dispatch comes from outside: the scheduler encodes a whole batch into one compute
 * pass, so a per-pass timer (timestamp queries on each pass, as the benchmark's GPU timer writes
 * them) times a batch, not a dispatch. With `submitEach` the trace submits every dispatch as it is
 * recorded, in a pass of its own, and `setGpuTimes` then takes the timer's per-pass durations in
 * order. Wall-clock completion times are no substitute: an op records its dispatches
 * synchronously, so the page learns of their completions only together, when it next yields.
 */
import type { DispatchObserver, DispatchRecord } from './scheduler.js';
import { fail } from '../errors.js';

/** What a trace needs of an engine (an `Engine` has both). */
export interface Traceable {
  observeDispatches(observer: DispatchObserver): () => void;
  /** Submits what is recorded (`submitEach` calls it after every dispatch). */
  flush(): void;
}

export interface TraceOptions {
  /**
   * Submit each dispatch as it is recorded, in a compute pass of its own, so that a per-pass GPU
   * timer times dispatches one by one. It serialises the work; default false.
   */
  submitEach?: boolean;
}

/** One dispatch as the trace saw it. */
export interface TracedDispatch extends DispatchRecord {
  /** Its place in the trace, from 0. */
  index: number;
  /** When it was recorded, in ms after the trace started. */
  recordedMs: number;
  /** GPU time, ms, where `setGpuTimes` gave it. */
  durationMs?: number;
}

/** The dispatches of one kernel (shader and entry point) in a trace, added up. */
export interface TraceSummaryRow {
  shader: string;
  entry: string;
  count: number;
  /** Workgroups launched, all its dispatches together. */
  workgroups: number;
  /** Bytes of storage buffers bound, all its dispatches together. */
  bytesBound: number;
  /** Where GPU times were given: the dispatches' GPU time added up, ms. */
  durationMs?: number;
}

/** Chrome's trace-event format (the JSON object form). */
export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData?: Record<string, string>;
}

export interface ChromeTraceEvent {
  name: string;
  /** 'X': a complete event (ts and dur); 'i': an instant; 'M': metadata (a thread's name). */
  ph: 'X' | 'i' | 'M';
  /** Microseconds. */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  /** For instants: 't', scoped to the thread. */
  s?: 't';
  args?: Record<string, unknown>;
}

const workgroupCount = (w: readonly number[]) => w[0]! * w[1]! * w[2]!;

/**
 * The dispatches an engine records between `start` and `stop`.
 * @example
 * const trace = DispatchTrace.start(engine);
 * engine.conv2d(x, w, { bias: b, activation: 'relu' }).dispose();
 * trace.stop();
 * trace.summary(); // [{ shader: 'conv2d', entry: 'conv2d_block_vec4', count: 1, … }]
 */
export class DispatchTrace {
  readonly records: TracedDispatch[] = [];
  private readonly t0 = performance.now();
  private unsubscribe: (() => void) | null;
  private timed = false;

  private constructor(engine: Traceable, submitEach: boolean) {
    this.unsubscribe = engine.observeDispatches((d) => {
      this.records.push({ ...d, index: this.records.length, recordedMs: performance.now() - this.t0 });
      if (submitEach) engine.flush();
    });
  }

  /** Starts recording what `engine` dispatches. */
  static start(engine: Traceable, opts: TraceOptions = {}): DispatchTrace {
    return new DispatchTrace(engine, opts.submitEach ?? false);
  }

  /** Stops recording (what the engine dispatches from now on is not in the trace). */
  stop(): this {
    this.unsubscribe?.();
    this.unsubscribe = null;
    return this;
  }

  /**
   * Gives each dispatch its GPU time in ms, in record order (null: not timed), as a per-pass timer
   * measured them for a trace taken with `submitEach`.
   */
  setGpuTimes(ms: readonly (number | null)[]): void {
    if (ms.length !== this.records.length) {
      fail('setGpuTimes', `${ms.length} times for ${this.records.length} dispatches`);
    }
    this.records.forEach((r, i) => {
      const t = ms[i];
      if (t == null) delete r.durationMs;
      else r.durationMs = t;
    });
    this.timed = this.records.some((r) => r.durationMs !== undefined);
  }

  get count(): number {
    return this.records.length;
  }

  /** One row per kernel, in the order each first ran. */
  summary(): TraceSummaryRow[] {
    const rows = new Map<string, TraceSummaryRow>();
    for (const r of this.records) {
      const key = `${r.shader}\u0000${r.entry}`;
      let row = rows.get(key);
      if (!row) {
        row = { shader: r.shader, entry: r.entry, count: 0, workgroups: 0, bytesBound: 0 };
        if (this.timed) row.durationMs = 0;
        rows.set(key, row);
      }
      row.count++;
      row.workgroups += workgroupCount(r.workgroups);
      row.bytesBound += r.bytesBound;
      if (row.durationMs !== undefined) row.durationMs += r.durationMs ?? 0;
    }
    return [...rows.values()];
  }

  /**
   * The kernels in one line, by entry point: `conv2d_block_vec4`, or
   * `conv2d_grad_filter_partial + conv2d_grad_filter_reduce`, with `×n` where one ran n times.
   */
  kernels(): string {
    return this.summary().map((r) => (r.count > 1 ? `${r.entry} ×${r.count}` : r.entry)).join(' + ');
  }

  /**
   * The trace as Chrome trace events on one thread. With GPU times, complete events laid end to end
   * on a GPU-busy timeline (the gaps between dispatches are not known, so they are left out);
   * without, instants at the moments they were recorded.
   */
  toChromeTrace(name = 'cnn-webgpu dispatches'): ChromeTrace {
    return chromeTrace([{ name, trace: this }]);
  }

  /** The events of this trace on thread `tid`, shifted by `offsetMs`. */
  events(pid: number, tid: number, offsetMs = 0): ChromeTraceEvent[] {
    const us = (ms: number) => Math.round((ms + offsetMs) * 1000);
    let busy = 0;
    return this.records.map((r) => {
      const args = {
        shader: r.shader, entry: r.entry, workgroups: r.workgroups.join('×'), bytesBound: r.bytesBound,
        constants: r.constants, recordedMs: r.recordedMs,
      };
      const name = `${r.shader}.${r.entry}`;
      if (!this.timed) return { name, cat: 'dispatch', ph: 'i' as const, s: 't' as const, ts: us(r.recordedMs), pid, tid, args };
      const start = busy;
      busy += r.durationMs ?? 0;
      return { name, cat: 'dispatch', ph: 'X' as const, ts: us(start), dur: Math.max(1, Math.round((r.durationMs ?? 0) * 1000)), pid, tid, args: { ...args, gpuMs: r.durationMs ?? null } };
    });
  }

  /** How long the trace spans on its timeline, ms. */
  get spanMs(): number {
    if (this.timed) return this.records.reduce((n, r) => n + (r.durationMs ?? 0), 0);
    return this.records.reduce((n, r) => Math.max(n, r.recordedMs), 0);
  }
}

/**
 * Several traces in one Chrome trace file, one after another on a thread each (named after
 * them), e.g. one per benchmark row.
 */
export function chromeTrace(traces: readonly { name: string; trace: DispatchTrace }[]): ChromeTrace {
  const pid = 1;
  const traceEvents: ChromeTraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: 'cnn-webgpu' } }];
  let offset = 0;
  traces.forEach(({ name, trace }, i) => {
    const tid = i + 1;
    traceEvents.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } });
    traceEvents.push(...trace.events(pid, tid, offset));
    offset += trace.spanMs + 1;
  });
  return { traceEvents, displayTimeUnit: 'ms' };
}

/**
 * Runs `run` and returns the trace of what it dispatched (awaiting `run` when it returns a promise).
 * @example
 * const trace = await traceDispatches(engine, () => model.predict(x).dispose());
 * console.log(`${trace.count} dispatches: ${trace.kernels()}`);
 * download(JSON.stringify(trace.toChromeTrace())); // open in ui.perfetto.dev
 */
export async function traceDispatches(engine: Traceable, run: () => unknown, opts: TraceOptions = {}): Promise<DispatchTrace> {
  const trace = DispatchTrace.start(engine, opts);
  try {
    await run();
  } finally {
    trace.stop();
  }
  return trace;
}
