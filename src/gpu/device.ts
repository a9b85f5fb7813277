/**
 * Adapter and device acquisition. Kept apart from the engine so that the components can share one
 * device between several elements on a page.
 */
import { CnnError } from '../errors.js';

/**
 * WebGPU is missing here, or offers no usable adapter: a page catches it (instanceof) to say which
 * browsers work instead of showing an error. `reason` is the message without the op's prefix.
 */
export class WebGpuUnavailableError extends CnnError {
  constructor(readonly reason: string) {
    super('createEngine', reason);
    this.name = 'WebGpuUnavailableError';
  }
}

/**
 * The GPU device went away (a driver reset, the tab's GPU process crashing, `device.destroy()`):
 * every later call of the engine that lost it throws this, and a read waiting on the GPU rejects
 * with it. Nothing on that device can be used again; `createEngine()` gives a new one. `reason` is
 * WebGPU's ('destroyed' or 'unknown'), `details` its message.
 */
export class DeviceLostError extends CnnError {
  constructor(
    op: string,
    readonly reason: string,
    readonly details: string,
  ) {
    super(op, `the GPU was lost (device lost, reason '${reason}': ${details || 'no details'}); nothing on it can be used again, create a new engine with createEngine()`);
    this.name = 'DeviceLostError';
  }
}

/** What the engine learned about the GPU it runs on; kernel variants are picked from this. */
export interface GpuInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** True for CPU-emulated adapters (SwiftShader, lavapipe, WARP): they reward register blocking, not workgroup memory. */
  isSoftware: boolean;
  hasTimestampQuery: boolean;
}

export interface Gpu {
  device: GPUDevice;
  info: GpuInfo;
}

export interface GpuOptions {
  /** Passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
  /** Use this device instead of requesting one (the engine does not destroy it). */
  device?: GPUDevice;
}

const SOFTWARE_ADAPTERS = /swiftshader|lavapipe|llvmpipe|warp|software|cpu/i;

/** Requests an adapter and a device, with clear errors where WebGPU is missing. */
export async function acquireGpu(options: GpuOptions = {}): Promise<Gpu> {
  if (options.device) return { device: options.device, info: describe(undefined, options.device) };
  const gpu = (globalThis as { navigator?: Navigator }).navigator?.gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError(
      'WebGPU is not available here (navigator.gpu is missing). Use Chrome or Edge 113+, ' +
        'Safari 26+, or Firefox 141+ on Windows; Chromium on Linux needs --enable-unsafe-webgpu.',
    );
  }
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) {
    throw new WebGpuUnavailableError('navigator.gpu.requestAdapter() found no GPU adapter (WebGPU is present but no adapter is usable).');
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const device = await adapter.requestDevice({
    label: 'cnn-webgpu',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    },
  });
  return { device, info: describe(adapter.info, device) };
}

function describe(adapterInfo: GPUAdapterInfo | undefined, device: GPUDevice): GpuInfo {
  const info = adapterInfo ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const description = info?.description ?? '';
  return {
    vendor,
    architecture,
    description: description || [vendor, architecture].filter(Boolean).join(' ') || 'unknown adapter',
    isSoftware: SOFTWARE_ADAPTERS.test(`${vendor} ${architecture} ${description}`),
    hasTimestampQuery: device.features.has('timestamp-query'),
  };
}
