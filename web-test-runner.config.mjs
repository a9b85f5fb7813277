// Test runner setup: TypeScript through esbuild, WGSL served as text modules, the TensorFlow.js
// oracle pre-bundled (its packages mix CommonJS into their ESM), and the system Chromium with WebGPU.
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { wgslPlugin, oraclePlugin } from './tools/wtr-plugins.mjs';
import { chromeArgs, findChrome } from './tools/find-chrome.mjs';
import { countingReporter } from './tools/counting-reporter.mjs';
import { defaultReporter } from '@web/test-runner';
import { hostileMiddleware } from './test/helpers/hostile_server.mjs';

const executablePath = findChrome();
if (!executablePath) process.exit(2);

export default {
  files: process.env.CNN_TEST_FILES ? process.env.CNN_TEST_FILES.split(',') : ['test/**/*_test.ts', '!test/e2e/**'],
  nodeResolve: true,
  concurrency: 1,
  concurrentBrowsers: 1,
  testsStartTimeout: 120000,
  testsFinishTimeout: 600000,
  browserStartTimeout: 120000,
  testFramework: { config: { timeout: 180000 } },
  // /hostile/... serves repository files truncated, dropped mid-way or late (test/helpers/hostile_server.mjs).
  middleware: [hostileMiddleware()],
  plugins: [wgslPlugin(), oraclePlugin(), esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' })],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath, headless: true, args: chromeArgs() },
    }),
  ],
  reporters: [defaultReporter({ reportTestResults: true, reportTestProgress: !process.env.CI }), countingReporter()],
};
