// Replaced at serve time by a bundle of @tensorflow/tfjs-core with the CPU backend
// (tools/wtr-plugins.mjs, oraclePlugin). This file only exists so the import path resolves.
throw new Error('tf_oracle.js must be served through the test runner (web-test-runner.config.mjs)');
