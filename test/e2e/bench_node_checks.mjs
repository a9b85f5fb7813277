// End-to-end check of the benchmark's Node.js runner (bench/node.ts with Dawn from the `webgpu`
// package): it builds, finds an adapter (here Chromium's SwiftShader Vulkan driver), checks every
// engine's output against ours and writes the report, as the GPU machine's recipe will use it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

export const benchNodeTests = [
  {
    name: 'bench:node: runs a row under Dawn in Node.js, outputs agree with TF.js CPU, and the report is written',
    async run() {
      const dir = mkdtempSync(join(tmpdir(), 'cnn-bench-node-'));
      try {
        const out = join(dir, 'result');
        const run = spawnSync(process.execPath, ['bench/node-cli.mjs', '--swiftshader', '--shape', 'lenet.pool2', '--op', 'maxPool', '--engines', 'tfjs-cpu', '--samples', '3', '--rounds', '1', '--warmup', '1', '--out', out], { encoding: 'utf8', timeout: 150_000 });
        expect(run.status === 0, `bench:node exited ${run.status}: ${(run.stderr || run.stdout).slice(-600)}`);
        const result = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
        expect(/swiftshader/i.test(result.meta.adapter.description), `adapter '${result.meta.adapter.description}'`);
        const row = result.rows[0];
        expect(row?.case.id === 'lenet.pool2/maxPool', `row ${row?.case.id}`);
        for (const id of ['cnn-webgpu', 'tfjs-cpu']) {
          const m = row.results[id];
          expect(m?.status === 'ok', `${id}: ${m?.status} ${m?.note ?? ''}`);
          expect(m.wallMs.n === 3 && m.wallMs.median > 0, `${id}: ${JSON.stringify(m.wallMs)}`);
        }
        expect(row.results['tfjs-cpu'].relError <= 1e-6, `TF.js CPU differs from ours: ${row.results['tfjs-cpu'].relError}`);
        expect(row.results['cnn-webgpu'].gpuMs?.median > 0, 'no GPU timestamps for our engine');
        expect(readFileSync(`${out}.md`, 'utf8').includes('| lenet.pool2 | maxPool |'), 'the Markdown report lacks the row');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
