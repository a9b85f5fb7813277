/**
 * GPU time for any engine in the page, ours or a baseline, without their cooperation: while a
 * recording is armed, every compute pass any device begins gets `timestampWrites` at its start and
 * end, into query sets this module owns. The recording is resolved once, after the timed loop (no
 * read-back inside it), and each sample's GPU time is the sum of its passes' durations, so an
 * engine that encodes many dispatches per pass (ours does) is timed per pass, not per dispatch.
 *
 * It works by patching three WebGPU prototype methods, once per page:
 * - `GPUAdapter.requestDevice` adds the 'timestamp-query' feature where the adapter has it (every
 *   engine requests its own device; none would otherwise be timeable);
 * - `GPUDevice.createCommandEncoder` remembers which device an encoder belongs to;
 * - `GPUCommandEncoder.beginComputePass` adds the timestamp writes while armed (a pass that already
 *   has its own is left alone).
 * Chrome quantises timestamps (100 µs) unless started with --enable-webgpu-developer-features.
 */

const QUERIES_PER_SET = 4096;

interface QuerySlot {
  set: GPUQuerySet;
  /** Pairs written so far. */
  used: number;
}

interface DeviceSets {
  device: GPUDevice;
  sets: QuerySlot[];
}

/** Where one pass's timestamps went, and which sample it belongs to. */
interface PassRecord {
  sets: DeviceSets;
  setIndex: number;
  pair: number;
  sample: number;
}

let installed = false;
const encoderDevice = new WeakMap<GPUCommandEncoder, GPUDevice>();
let active: Recording | null = null;

/** Patches the WebGPU prototypes (idempotent). Call before any engine requests its device. */
export function installGpuTimer(): boolean {
  if (installed) return true;
  const g = globalThis as unknown as {
    GPUAdapter?: { prototype: GPUAdapter };
    GPUDevice?: { prototype: GPUDevice };
    GPUCommandEncoder?: { prototype: GPUCommandEncoder };
  };
  if (!g.GPUAdapter || !g.GPUDevice || !g.GPUCommandEncoder) return false;
  const adapterProto = g.GPUAdapter.prototype;
  const requestDevice = adapterProto.requestDevice;
  adapterProto.requestDevice = function (this: GPUAdapter, desc?: GPUDeviceDescriptor) {
    if (this.features.has('timestamp-query')) {
      const features = new Set<GPUFeatureName>([...(desc?.requiredFeatures ?? [])]);
      features.add('timestamp-query');
      desc = { ...(desc ?? {}), requiredFeatures: [...features] };
    }
    return requestDevice.call(this, desc);
  };
  const deviceProto = g.GPUDevice.prototype;
  const createCommandEncoder = deviceProto.createCommandEncoder;
  deviceProto.createCommandEncoder = function (this: GPUDevice, desc?: GPUCommandEncoderDescriptor) {
    const encoder = createCommandEncoder.call(this, desc);
    encoderDevice.set(encoder, this);
    return encoder;
  };
  const encoderProto = g.GPUCommandEncoder.prototype;
  const beginComputePass = encoderProto.beginComputePass;
  encoderProto.beginComputePass = function (this: GPUCommandEncoder, desc?: GPUComputePassDescriptor) {
    const device = encoderDevice.get(this);
    const writes = active && device && !desc?.timestampWrites ? active.slot(device) : null;
    if (writes) desc = { ...(desc ?? {}), timestampWrites: writes };
    return beginComputePass.call(this, desc);
  };
  installed = true;
  return true;
}

/** True when the device can be timed (the feature was granted). */
export function canTime(device: GPUDevice | null | undefined): boolean {
  return installed && !!device && device.features.has('timestamp-query');
}

/** One armed recording: call `sample(i)` at the start of each sample, then `finish()` once. */
export class Recording {
  private readonly perDevice = new Map<GPUDevice, DeviceSets>();
  private readonly passes: PassRecord[] = [];
  private current = 0;
  private closed = false;

  sample(index: number): void {
    this.current = index;
  }

  /** Timestamp writes for the next pass on `device`, or null where the device has no timestamps. */
  slot(device: GPUDevice): GPUComputePassTimestampWrites | null {
    if (this.closed || !device.features.has('timestamp-query')) return null;
    let sets = this.perDevice.get(device);
    if (!sets) {
      sets = { device, sets: [] };
      this.perDevice.set(device, sets);
    }
    let last = sets.sets[sets.sets.length - 1];
    if (!last || last.used * 2 >= QUERIES_PER_SET) {
      last = { set: device.createQuerySet({ label: 'bench gpu timer', type: 'timestamp', count: QUERIES_PER_SET }), used: 0 };
      sets.sets.push(last);
    }
    const pair = last.used++;
    this.passes.push({ sets, setIndex: sets.sets.length - 1, pair, sample: this.current });
    return { querySet: last.set, beginningOfPassWriteIndex: pair * 2, endOfPassWriteIndex: pair * 2 + 1 };
  }

  /**
   * Disarms, resolves every query set once, and returns the GPU milliseconds of each sample
   * (`samples` entries), or null when no pass of the recording was timed.
   */
  async finish(samples: number): Promise<number[] | null> {
    this.closed = true;
    if (active === this) active = null;
    if (this.passes.length === 0) return null;
    const ticks = new Map<QuerySlot, BigUint64Array>();
    for (const { device, sets } of this.perDevice.values()) {
      for (const slot of sets) {
        const bytes = slot.used * 2 * 8;
        const resolve = device.createBuffer({ label: 'bench gpu timer resolve', size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        const read = device.createBuffer({ label: 'bench gpu timer read', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        const encoder = device.createCommandEncoder({ label: 'bench gpu timer' });
        encoder.resolveQuerySet(slot.set, 0, slot.used * 2, resolve, 0);
        encoder.copyBufferToBuffer(resolve, 0, read, 0, bytes);
        device.queue.submit([encoder.finish()]);
        await read.mapAsync(GPUMapMode.READ);
        ticks.set(slot, new BigUint64Array(read.getMappedRange().slice(0)));
        read.destroy();
        resolve.destroy();
        slot.set.destroy();
      }
    }
    const ms = new Array<number>(samples).fill(0);
    let timed = 0;
    for (const p of this.passes) {
      const t = ticks.get(p.sets.sets[p.setIndex]!)!;
      const begin = t[p.pair * 2]!;
      const end = t[p.pair * 2 + 1]!;
      // A pass never submitted (or a device that dropped the writes) leaves zeros: it took no GPU time.
      if (begin === 0n || end <= begin) continue;
      if (p.sample >= 0 && p.sample < samples) ms[p.sample]! += Number(end - begin) / 1e6;
      timed++;
    }
    return timed > 0 ? ms : null;
  }
}

/** Arms a recording (one at a time). Returns null where the timer could not be installed. */
export function startRecording(): Recording | null {
  if (!installed) return null;
  active = new Recording();
  return active;
}
