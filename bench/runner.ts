/**
 * The page `npm run bench` drives (bench/runner.html): it exposes `window.cnnBench.run(options)`,
 * which starts the engines, runs the selected cases and returns the result with its Markdown
 * report; progress goes to `window.cnnBenchProgress` when the driver provides it.
 */
import { installGpuTimer } from './gpu_timer.js';
import { loadEngines, type LoadOptions } from './engines/load.js';
import { allCases, selectCases, runSuite } from './suite.js';
import { markdownReport } from './report.js';
import { browserName } from './browser.js';
import type { Progress, SuiteOptions, SuiteResult } from './types.js';
import type { Engine } from '../src/engine.js';

export interface RunnerOptions extends Partial<SuiteOptions>, LoadOptions {
  engines?: string[];
  ops?: string;
  shapes?: string;
  /** The browser's exact name and version, where the driver knows it. */
  browser?: string;
}

declare global {
  interface Window {
    cnnBench: {
      run(o: RunnerOptions): Promise<{ result: SuiteResult; markdown: string }>;
      cases(o: { ops?: string; shapes?: string }): string[];
    };
    cnnBenchProgress?: (p: Progress) => void;
  }
}

installGpuTimer();

window.cnnBench = {
  cases: (o) => selectCases(allCases(), o).map((c) => c.id),
  async run(o) {
    const cases = selectCases(allCases(), { ops: o.ops, shapes: o.shapes });
    if (cases.length === 0) throw new Error(`no case matches --op '${o.ops ?? ''}' --shape '${o.shapes ?? ''}'`);
    const engines = await loadEngines(o.engines ?? [], o);
    const ours = (engines[0] as unknown as { engine: Engine }).engine;
    try {
      const result = await runSuite(engines, cases, o, {
        adapter: { ...ours.info },
        browser: o.browser ?? (await browserName()),
        onProgress: (p) => window.cnnBenchProgress?.(p),
      });
      return { result, markdown: markdownReport(result) };
    } finally {
      for (const e of engines) await e.dispose();
    }
  },
};
document.body.dataset.ready = 'true';
