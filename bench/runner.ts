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
import { chromeTrace, type ChromeTrace } from '../src/gpu/trace.js';
import type { OursEngine } from './engines/ours.js';
import type { Progress, SuiteOptions, SuiteResult } from './types.js';
import { allModelCases, selectModelCases, DEFAULT_ONNX_DIR, type ModelSelection } from './models/cases.js';
import { findMissing, loadModelEngines } from './models/load.js';
import { runModelSuite } from './models/suite.js';
import { modelChartSvg, modelMarkdown } from './models/report.js';
import type { ModelSuiteOptions, ModelSuiteResult } from './models/types.js';

export interface RunnerOptions extends Partial<SuiteOptions>, LoadOptions {
  engines?: string[];
  ops?: string;
  shapes?: string;
  /** The browser's exact name and version, where the driver knows it. */
  browser?: string;
}

export interface ModelRunnerOptions extends Partial<ModelSuiteOptions>, ModelSelection {
  engines?: string[];
  /** Where the landmark .onnx files are served from, relative to the root (default test-artifacts/onnx-landmarks/). */
  onnxDir?: string;
  ortWasmPaths?: string;
  browser?: string;
  /** The name the chart file will have beside the Markdown (for its image link). */
  chartFile?: string;
}

const modelCases = (o: ModelRunnerOptions) => selectModelCases(allModelCases(o.onnxDir || DEFAULT_ONNX_DIR), o);

declare global {
  interface Window {
    cnnBench: {
      /** With `trace`, also the Chrome trace of one timed call of each of our rows. */
      run(o: RunnerOptions): Promise<{ result: SuiteResult; markdown: string; trace?: ChromeTrace }>;
      cases(o: { ops?: string; shapes?: string }): string[];
      /** The whole-model rows (bench/models/): the result, its Markdown and its SVG chart. */
      runModels(o: ModelRunnerOptions): Promise<{ result: ModelSuiteResult; markdown: string; svg: string }>;
      modelCases(o: ModelRunnerOptions): string[];
    };
    cnnBenchProgress?: (p: Progress) => void;
  }
}

installGpuTimer();

async function runModels(o: ModelRunnerOptions): Promise<{ result: ModelSuiteResult; markdown: string; svg: string }> {
  const selected = modelCases(o);
  if (selected.length === 0) throw new Error(`no model row matches --models '${o.models ?? ''}' --kinds '${o.kinds ?? ''}' --batches '${o.batches ?? ''}'`);
  const { missing, present } = await findMissing(selected, location.origin + '/');
  const { engines, ours } = await loadModelEngines(o.engines ?? [], { ortWasmPaths: o.ortWasmPaths });
  try {
    const result = await runModelSuite(engines, present, o, {
      adapter: { ...ours.info },
      browser: o.browser ?? (await browserName()),
      onProgress: (p) => window.cnnBenchProgress?.(p),
      missing,
    });
    return { result, markdown: modelMarkdown(result, o.chartFile), svg: modelChartSvg(result) };
  } finally {
    for (const e of engines) await e.dispose();
  }
}

window.cnnBench = {
  cases: (o) => selectCases(allCases(), o).map((c) => c.id),
  modelCases: (o) => modelCases(o).map((c) => c.id),
  runModels,
  async run(o) {
    const cases = selectCases(allCases(), { ops: o.ops, shapes: o.shapes });
    if (cases.length === 0) throw new Error(`no case matches --op '${o.ops ?? ''}' --shape '${o.shapes ?? ''}'`);
    const engines = await loadEngines(o.engines ?? [], o);
    const ours = engines[0] as OursEngine;
    try {
      const result = await runSuite(engines, cases, o, {
        adapter: { ...ours.engine.info },
        browser: o.browser ?? (await browserName()),
        onProgress: (p) => window.cnnBenchProgress?.(p),
      });
      const trace = o.trace ? chromeTrace([...ours.traces].map(([name, t]) => ({ name, trace: t }))) : undefined;
      return { result, markdown: markdownReport(result), trace };
    } finally {
      for (const e of engines) await e.dispose();
    }
  },
};
document.body.dataset.ready = 'true';
