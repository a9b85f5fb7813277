// npm run check:onnx [-- --only alexnet,resnet50]: the landmark networks (tools/onnx/landmarks.py)
// against ONNX Runtime, in headless Chromium. Generates the models and ONNX Runtime's logits first
// where test-artifacts/onnx-landmarks/ lacks them (needs a Python with onnx, onnxruntime and numpy:
// PYTHON=/path/to/python, default /tmp/onnxenv/bin/python, else python3). Not part of `npm test`:
// VGG-19 alone is 550 MB and takes minutes on a software adapter.
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const ALL = ['alexnet', 'zfnet512', 'vgg19', 'resnet50', 'squeezenet', 'inception_v1', 'inception_v2', 'densenet121', 'shufflenet'];
const DIR = 'test-artifacts/onnx-landmarks';
const at = process.argv.indexOf('--only');
const keys = at >= 0 ? process.argv[at + 1].split(',') : ALL;
for (const k of keys) if (!ALL.includes(k)) { console.error(`unknown network '${k}' (known: ${ALL.join(', ')})`); process.exit(2); }

mkdirSync(DIR, { recursive: true });
const missing = keys.filter((k) => !['onnx', 'json', 'input.bin', 'logits.bin'].every((ext) => existsSync(`${DIR}/${k}.${ext}`)));
if (missing.length) {
  const python = process.env.PYTHON ?? (existsSync('/tmp/onnxenv/bin/python') ? '/tmp/onnxenv/bin/python' : 'python3');
  console.log(`generating ${missing.join(', ')} with ${python} tools/onnx/landmarks.py`);
  const r = spawnSync(python, ['tools/onnx/landmarks.py', '--out', DIR, '--only', missing.join(',')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('could not generate the landmark models; install the Python packages first:\n  python3 -m venv /tmp/onnxenv && /tmp/onnxenv/bin/pip install onnx onnxruntime numpy');
    process.exit(2);
  }
}
writeFileSync(`${DIR}/run.json`, JSON.stringify(keys));
const run = spawnSync(process.execPath, ['node_modules/@web/test-runner/dist/bin.js', '--config', 'web-test-runner.config.mjs'], {
  stdio: 'inherit',
  env: { ...process.env, CNN_TEST_FILES: 'test/io/onnx/landmarks_check.ts' },
});
process.exit(run.status ?? 1);
