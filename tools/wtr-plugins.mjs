// Dev-server plugins shared by the test runner and `npm start`.
import { build } from 'esbuild';
import { join } from 'node:path';
import { wgslModuleSource } from './wgsl-module.mjs';

/** Serves `.wgsl` files as ES modules of their source and build-time reflection (tools/wgsl-module.mjs). */
export function wgslPlugin() {
  return {
    name: 'wgsl-reflected',
    resolveMimeType(ctx) {
      if (ctx.path.endsWith('.wgsl')) return 'js';
    },
    transform(ctx) {
      // ctx.path is the URL path; includes resolve against the file under the served root.
      if (ctx.path.endsWith('.wgsl')) return { body: wgslModuleSource(join(process.cwd(), ctx.path), ctx.body) };
    },
  };
}

/** Serves test/helpers/tf_oracle.js as one ESM bundle of TensorFlow.js core and layers with the CPU backend. */
export function oraclePlugin() {
  let bundle;
  return {
    name: 'tf-oracle',
    async serve(ctx) {
      if (!ctx.path.endsWith('/test/helpers/tf_oracle.js')) return;
      bundle ??= build({
        stdin: {
          contents: [
            "export * from '@tensorflow/tfjs-core';",
            "export * from '@tensorflow/tfjs-layers';",
            "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
            "import '@tensorflow/tfjs-backend-cpu';",
          ].join('\n'),
          resolveDir: process.cwd(),
        },
        bundle: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      }).then((r) => r.outputFiles[0].text);
      return { body: await bundle, type: 'js' };
    },
  };
}
