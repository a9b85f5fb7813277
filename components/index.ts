// dist/cnn-webgpu-elements.js: one <script type="module"> registers every element. The page's
// elements share one GPU device and one copy of each model (internal/shared-engine.ts); pages that
// also use the engine directly get the same one here. <cnn-kernel-bench> is bundled on its own
// (bench/build.mjs: it brings the baselines' engines and ONNX Runtime's WebAssembly).
export { CnnLayerViewer } from './cnn-layer-viewer.js';
export { CnnFilterViewer } from './cnn-filter-viewer.js';
export { CnnImageInput } from './cnn-image-input.js';
export { CnnTrainer } from './cnn-trainer.js';
export { CnnConvExplainer } from './cnn-conv-explainer.js';
export { CnnInvariance } from './cnn-invariance.js';
export { CnnFeatureVis } from './cnn-feature-vis.js';
export { CnnAttribution } from './cnn-attribution.js';
export { sharedEngine, sharedModel } from './internal/shared-engine.js';
