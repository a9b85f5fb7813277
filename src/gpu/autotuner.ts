/**
 * Picks kernel variants by timing them on the adapter at hand, once per shape class, and remembers
 * the winners per adapter (in the page's localStorage when there is one). WebGPU runs on very
 * different hardware, from CPU emulation to discrete GPUs, and no fixed rule picks best on all.
 *
 * Tuning is asynchronous: an op whose shape class has no winner yet runs the rule's choice and
 * queues a tuning job; later calls use the winner. Variants sum in different orders, so results may
 * differ in the last bits after a switch: the engine enables this only when asked
 * (`createEngine({ autotune: true })`), and `whenIdle()` lets a caller finish tuning before work
 * that must be bitwise reproducible, such as a seeded training run.
 */

export interface TuneCandidate {
  name: string;
  /** Records one call of the variant (its output is disposed by `run` itself). */
  run: () => void;
}

export interface TuningHost {
  flush(): void;
  readonly device: GPUDevice;
}

/** A Storage-like place for the winners (localStorage in a page; anything with the same two methods). */
export interface WinnerStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const REPEATS = 3;

export class Autotuner {
  private readonly winners = new Map<string, string>();
  private readonly queued = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly storeKey: string,
    private readonly store: WinnerStore | null,
  ) {
    try {
      const saved = store?.getItem(storeKey);
      if (saved) for (const [k, v] of Object.entries(JSON.parse(saved) as Record<string, string>)) this.winners.set(k, v);
    } catch {
      // A corrupt entry only costs a re-tune.
    }
  }

  /** The stored winner of a shape class, if it was tuned. */
  winner(key: string): string | undefined {
    return this.winners.get(key);
  }

  /** Every winner, by shape class (the benchmark reports them). */
  entries(): Record<string, string> {
    return Object.fromEntries(this.winners);
  }

  /**
   * Queues a tuning job for `key` unless it has a winner or one is queued. `candidates` is called
   * when the job runs, so it may allocate the inputs it times on.
   */
  request(host: TuningHost, key: string, candidates: () => { list: TuneCandidate[]; dispose: () => void }): void {
    if (this.winners.has(key) || this.queued.has(key)) return;
    this.queued.add(key);
    this.chain = this.chain.then(async () => {
      const { list, dispose } = candidates();
      try {
        this.record(key, await fastest(host, list));
      } finally {
        dispose();
        this.queued.delete(key);
      }
    }).catch(() => {
      // A failed tuning job leaves the rule's choice in place.
    });
  }

  /** Resolves when every queued tuning job has finished. */
  whenIdle(): Promise<void> {
    return this.chain;
  }

  private record(key: string, name: string): void {
    this.winners.set(key, name);
    try {
      this.store?.setItem(this.storeKey, JSON.stringify(this.entries()));
    } catch {
      // Storage full or denied: the winner still holds for this page.
    }
  }
}

/** Times each candidate (one untimed warm-up call, then REPEATS calls) and returns the fastest. */
async function fastest(host: TuningHost, list: TuneCandidate[]): Promise<string> {
  let best = list[0]!.name;
  let bestMs = Infinity;
  for (const c of list) {
    c.run();
    host.flush();
    await host.device.queue.onSubmittedWorkDone();
    const t0 = performance.now();
    for (let i = 0; i < REPEATS; i++) c.run();
    host.flush();
    await host.device.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    if (ms < bestMs) {
      bestMs = ms;
      best = c.name;
    }
  }
  return best;
}
