#!/usr/bin/env node
// `npm test`: finds a browser, builds the bundles, runs the browser unit tests (web-test-runner),
// then the end-to-end tests against the served demo, and prints `N passed, N failed` last.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { findChrome } from './find-chrome.mjs';
import { runE2e } from '../test/e2e/run-e2e.mjs';

const chrome = findChrome();
if (!chrome) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
process.env.CHROME_PATH = chrome;
const COUNTS_FILE = `test-artifacts/unit-counts-${process.pid}.json`;
process.env.CNN_COUNTS_FILE = COUNTS_FILE;

const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('npm test: the build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

rmSync(COUNTS_FILE, { force: true });
const wtr = spawnSync(process.execPath, ['node_modules/@web/test-runner/dist/bin.js', '--config', 'web-test-runner.config.mjs'], {
  stdio: 'inherit',
});
let unit = { passed: 0, failed: 1 };
if (existsSync(COUNTS_FILE)) {
  unit = JSON.parse(readFileSync(COUNTS_FILE, 'utf8'));
  rmSync(COUNTS_FILE);
}
else console.error('npm test: the unit test run produced no results');
if (wtr.status !== 0 && unit.failed === 0) unit.failed = 1;

const e2e = process.env.CNN_SKIP_E2E ? { passed: 0, failed: 0 } : await runE2e(chrome);
const passed = unit.passed + e2e.passed;
const failed = unit.failed + e2e.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
