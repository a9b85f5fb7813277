#!/usr/bin/env node
// `npm run check:feature-vis`: the feature-visualisation proof in full (test/explain/feature_vis_proof.ts),
// outside the suite because it takes minutes on a software adapter: the per-channel maxima of the
// MNIST network's conv2 over all 10,000 test digits (checked against test/explain/mnist_conv2_max.json,
// which the suite's cheaper check uses), and featureVis on all 32 channels, run twice with one seed.
import { spawnSync } from 'node:child_process';

const run = spawnSync(process.execPath, ['node_modules/@web/test-runner/dist/bin.js', '--config', 'web-test-runner.config.mjs'], {
  stdio: 'inherit',
  env: { ...process.env, CNN_TEST_FILES: 'test/explain/feature_vis_proof.ts' },
});
process.exit(run.status ?? 1);
