#!/usr/bin/env node
// `npm run bench:node -- [options]`: the benchmark under Node.js with Dawn instead of a browser
// (bench/node.ts), for machines with a GPU and no browser. Builds dist/bench-node.js, then runs it
// with the options given (--op, --shape, --engines, --samples, --rounds, --warmup, --max-seconds,
// --variant, --out BASE). --swiftshader points Dawn at the SwiftShader Vulkan driver that Debian's
// Chromium ships, for machines without a GPU (CI); a machine with a GPU needs nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildBenchNode, BENCH_NODE_OUT } from './build.mjs';

const CHROMIUM_LIBS = '/usr/lib/chromium';
const ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;

const args = process.argv.slice(2);
const env = { ...process.env };
const i = args.indexOf('--swiftshader');
if (i >= 0) {
  args.splice(i, 1);
  if (!existsSync(ICD)) {
    console.error(`bench:node: --swiftshader needs ${ICD} (Debian's chromium package ships it)`);
    process.exit(2);
  }
  // Chromium's own Vulkan loader, and its SwiftShader driver as the only one.
  Object.assign(env, {
    VK_ICD_FILENAMES: ICD,
    LD_LIBRARY_PATH: [CHROMIUM_LIBS, env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR ?? '/tmp',
  });
}
await buildBenchNode({ quiet: true });
const run = spawnSync(process.execPath, [BENCH_NODE_OUT, ...args], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
