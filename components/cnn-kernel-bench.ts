// Registers <cnn-kernel-bench>; the class lives in internal/kernel-bench/kernel-bench.ts.
import { CnnKernelBench } from './internal/kernel-bench/kernel-bench.js';

export { CnnKernelBench };
export type { BenchState } from './internal/kernel-bench/kernel-bench.js';

// ONNX Runtime Web's WebAssembly files sit in ort/ beside this script (bench/build.mjs copies them).
CnnKernelBench.defaultOrtWasmPaths = new URL('./ort/', import.meta.url).href;

if (!customElements.get('cnn-kernel-bench')) customElements.define('cnn-kernel-bench', CnnKernelBench);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-kernel-bench': CnnKernelBench;
  }
}
