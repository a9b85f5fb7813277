/**
 * A profiling trace of the dispatches an engine records, built on the scheduler's dispatch
 * observer: which kernels ran (shader, entry point, workgroups, bytes bound), how often, and,
 * when asked, about how long each took. It exports Chrome's trace-event JSON, which
 * chrome://tracing and Perfetto (ui.perfetto.dev) open.
 *
 * Timing is optional because it changes what it measures: with `timing: true` every dispatch is
 * submitted on its own as it is recorded, and its duration is the wall time from the later of its
 * submission and the previous dispatch's completion to its own completion, as
 * `queue.onSubmittedWorkDone` reports it. That includes one submission's overhead and the
 * browser's delay in reporting completion, so it suits dispatches of a few hundred microseconds
 * and more; for the batched timings an app sees, time the whole call instead.
 */
import type { DispatchObserver, DispatchRecord } from './scheduler.js';

/** What a trace needs of an engine (an `Engine` has all three). */
export interface Traceable {
  observeDispatches(observer: DispatchObserver): () => void;
  /** Submits what is recorded (timing submits each dispatch alone). */
  flush(): void;
  readonly device: GPUDevice;
}

export interface TraceOptions {
  /** Submit each dispatch alone and time it to its completion (see the module comment). Default false. */
  timing?: boolean;
}

/** One dispatch as the trace saw it. */
export interface TracedDispatch extends DispatchRecord {
  /** Its place in the trace, from 0. */
  index: number;
  /** When it was recorded, in ms after the trace started. */
  recordedMs: number;
  /** With timing: when the GPU started on it (as far as the page can tell), ms after the trace started. */
  startMs?: number;
  /** With timing: ms from `startMs` to its completion. */
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
  /** With timing: the dispatches' durations added up, ms. */
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
 * await trace.stop();
 * trace.summary(); // [{ shader: 'conv2d', entry: 'conv2d_block_vec4', count: 1, … }]
 */
export class DispatchTrace {
  readonly records: TracedDispatch[] = [];
  private readonly t0 = performance.now();
  private unsubscribe: (() => void) | null;
  private readonly completions: Promise<void>[] = [];

  private constructor(engine: Traceable, readonly timed: boolean) {
    let lastDone = 0;
    this.unsubscribe = engine.observeDispatches((d) => {
      const record: TracedDispatch = { ...d, index: this.records.length, recordedMs: performance.now() - this.t0 };
      this.records.push(record);
      if (!timed) return;
      engine.flush();
      const submitted = performance.now() - this.t0;
      this.completions.push(engine.device.queue.onSubmittedWorkDone().then(() => {
        // The queue completes in order, so the previous dispatch's time is known by now.
        const done = performance.now() - this.t0;
        record.startMs = Math.max(submitted, lastDone);
        record.durationMs = done - record.startMs;
        lastDone = done;
      }));
    });
  }

  /** Starts recording what `engine` dispatches. */
  static start(engine: Traceable, opts: TraceOptions = {}): DispatchTrace {
    return new DispatchTrace(engine, opts.timing ?? false);
  }

  /** Stops recording; with timing, resolves once every traced dispatch has completed. */
  async stop(): Promise<this> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.all(this.completions);
    return this;
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
   * The trace as Chrome trace events on one thread: timed dispatches as complete events, untimed
   * ones as instants at the moment they were recorded.
   */
  toChromeTrace(name = 'cnn-webgpu dispatches'): ChromeTrace {
    return chromeTrace([{ name, trace: this }]);
  }

  /** The events of this trace on thread `tid`, shifted by `offsetMs`. */
  events(pid: number, tid: number, offsetMs = 0): ChromeTraceEvent[] {
    const us = (ms: number) => Math.round((ms + offsetMs) * 1000);
    return this.records.map((r) => {
      const args = {
        shader: r.shader, entry: r.entry, workgroups: r.workgroups.join('×'), bytesBound: r.bytesBound,
        constants: r.constants, recordedMs: r.recordedMs,
      };
      const name = `${r.shader}.${r.entry}`;
      return r.durationMs !== undefined && r.startMs !== undefined
        ? { name, cat: 'dispatch', ph: 'X' as const, ts: us(r.startMs), dur: Math.max(1, Math.round(r.durationMs * 1000)), pid, tid, args }
        : { name, cat: 'dispatch', ph: 'i' as const, s: 't' as const, ts: us(r.recordedMs), pid, tid, args };
    });
  }

  /** How long the trace spans, ms (to the last completion where timed). */
  get spanMs(): number {
    let end = 0;
    for (const r of this.records) end = Math.max(end, r.recordedMs, (r.startMs ?? 0) + (r.durationMs ?? 0));
    return end;
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
    await trace.stop();
  }
  return trace;
}
