// Builds dist/cnn-webgpu.js (the engine: no DOM, no Lit). With --serve, also serves demo/ on localhost.
import { build } from 'esbuild';

export const shared = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  logLevel: 'warning',
};

export async function buildAll() {
  await build({ ...shared, entryPoints: ['src/index.ts'], outfile: 'dist/cnn-webgpu.js' });
}

const serve = process.argv.includes('--serve');
if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll();
  console.log('built dist/cnn-webgpu.js');
  if (serve) {
    const { startDemoServer } = await import('./tools/demo-server.mjs');
    const { url } = await startDemoServer({ port: Number(process.env.PORT ?? 8080) });
    console.log(`cnn-webgpu demo: ${url}`);
  }
}
