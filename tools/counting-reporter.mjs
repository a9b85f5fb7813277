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
      const walk = (suite) => {
        for (const t of suite.tests ?? []) {
          if (t.skipped) failed++; // a skipped test checks nothing: count it against us
          else if (t.passed) passed++;
          else failed++;
        }
        for (const s of suite.suites ?? []) walk(s);
      };
      for (const s of sessions) {
        if (s.testResults) walk(s.testResults);
        if (!s.passed && (s.errors?.length ?? 0) > 0) failed++;
      }
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync(COUNTS_FILE, JSON.stringify({ passed, failed }));
    },
  };
}
