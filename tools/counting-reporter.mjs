// Counts passed and failed tests (a file that fails to load counts as one failure) and writes them
// where tools/run-tests.mjs reads them for the final summary line.
import { writeFileSync, mkdirSync } from 'node:fs';

// Per run (tools/run-tests.mjs names it), so two runs in one checkout never read each other's counts.
export const COUNTS_FILE = process.env.CNN_COUNTS_FILE ?? 'test-artifacts/unit-counts.json';

export function countingReporter() {
  return {
    onTestRunFinished({ sessions }) {
      let passed = 0;
      let failed = 0;
      let ms = 0;
      const walk = (suite) => {
        for (const t of suite.tests ?? []) {
          if (t.skipped) failed++; // a skipped test checks nothing: count it against us
          else if (t.passed) passed++;
          else failed++;
          ms += t.duration ?? 0;
        }
        for (const s of suite.suites ?? []) walk(s);
      };
      // Seconds per test file, slowest first: what to look at when the suite outgrows its budget.
      const timings = [];
      for (const s of sessions) {
        ms = 0;
        if (s.testResults) walk(s.testResults);
        if (!s.passed && (s.errors?.length ?? 0) > 0) failed++;
        timings.push([s.testFile.replace(`${process.cwd()}/`, ''), Math.round(ms / 100) / 10]);
      }
      timings.sort((a, b) => b[1] - a[1]);
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync(COUNTS_FILE, JSON.stringify({ passed, failed }));
      writeFileSync('test-artifacts/unit-timings.json', JSON.stringify(timings, null, 1));
    },
  };
}
