/**
 * Explanations of a loaded model's decisions, computed on the GPU through the autograd tape:
 * gradient maps (saliency, SmoothGrad, Integrated Gradients), Grad-CAM, occlusion, and the exact
 * receptive field of a unit. Exported from the engine bundle as the `explain` namespace.
 */
export type { Target } from './target.js';
export { saliency, smoothGrad, type SaliencyOptions, type SmoothGradOptions } from './saliency.js';
export { integratedGradients, type IntegratedGradientsOptions } from './integrated_gradients.js';
export { gradCam, type GradCamOptions } from './grad_cam.js';
export { occlusion, targetValues, type OcclusionOptions } from './occlusion.js';
export { receptiveField, type ReceptiveField } from './receptive_field.js';
export { featureVis, type FeatureVisOptions, type FeatureVisResult, type FeatureVisRun, type Objective } from './feature_vis.js';
export { datasetExamples, type DatasetExample, type DatasetExamplesOptions } from './dataset_examples.js';
