// The end-to-end tests: the demo server (from Node), then in headless Chromium with WebGPU through
// Playwright the engine demo page, the article with both shipped models, the embedding example and
// the training page, run against exactly what `npm start` serves. tools/run-tests.mjs calls runE2e
// after the unit tests and adds its counts to the summary line.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright';
import { startDemoServer } from '../../tools/demo-server.mjs';
import { chromeArgs } from '../../tools/find-chrome.mjs';
import { serverTests } from './demo_server_checks.mjs';
import { pageTests } from './demo_page_checks.mjs';
import { articleTests } from './article_checks.mjs';
import { lessonTests } from './lessons_checks.mjs';
import { trainPageTests } from './train_page_checks.mjs';
import { benchNodeTests } from './bench_node_checks.mjs';
import { buildTests } from './build_checks.mjs';
import { layeringTests } from './layering_checks.mjs';
import { packageTests } from './package_checks.mjs';

export const ARTIFACTS = 'test-artifacts';
/** Per test; the page itself may take up to 120 s on a software adapter. */
const TEST_TIMEOUT_MS = 180_000;

/**
 * Runs every end-to-end test, printing `✓ name` or `✗ name: reason` for each, and returns the counts.
 * Never throws: a failure to start the server or the browser fails the tests that needed it.
 */
export async function runE2e(chromePath) {
  const counts = { passed: 0, failed: 0 };
  mkdirSync(ARTIFACTS, { recursive: true });
  console.log('\nEnd-to-end tests (build, demo server, engine page, article, embedding, training page, benchmark under Node):');

  let server = null;
  let browser = null;
  let browserError = null;
  const getBrowser = async () => {
    if (browser) return browser;
    if (browserError) throw browserError;
    try {
      browser = await chromium.launch({ executablePath: chromePath, headless: true, args: chromeArgs(), timeout: 120_000 });
      return browser;
    } catch (err) {
      browserError = new Error(`Chromium did not start (${chromePath}): ${firstLine(err)}`);
      throw browserError;
    }
  };

  try {
    let serverError = null;
    try {
      server = await startDemoServer({ port: 0 });
    } catch (err) {
      serverError = new Error(`the demo server did not start: ${firstLine(err)}`);
    }
    for (const test of [...buildTests, ...layeringTests, ...serverTests, ...pageTests, ...articleTests, ...lessonTests, ...(await import('./reader_checks.mjs')).readerTests, ...(await import('./onnx_viewer_checks.mjs')).onnxViewerTests, ...(await import('./explain_elements_checks.mjs')).explainElementTests, ...(await import('./device_lost_checks.mjs')).deviceLostTests, ...trainPageTests, ...benchNodeTests, ...packageTests]) {
      const ok = await runOne(test, async () => {
        if (serverError) throw serverError;
        await test.run({ server, getBrowser, artifacts: ARTIFACTS });
      });
      counts[ok ? 'passed' : 'failed']++;
    }
  } finally {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
  }
  return counts;
}

async function runOne(test, body) {
  let timer;
  try {
    await Promise.race([
      body(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS / 1000} s`)), TEST_TIMEOUT_MS);
      }),
    ]);
    console.log(`  ✓ ${test.name}`);
    return true;
  } catch (err) {
    const [head, ...rest] = String(err?.message ?? err).split('\n');
    console.log(`  ✗ ${test.name}: ${head}`);
    for (const line of rest.filter(Boolean).slice(0, 8)) console.log(`      ${line}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function firstLine(err) {
  return String(err?.message ?? err).split('\n')[0];
}
