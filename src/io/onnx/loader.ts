/**
 * Loading an ONNX model onto the engine: read the file (src/io/source.ts: URL, File, FileList,
 * Blob or bytes, with progress and abort), parse the protobuf (src/io/onnx/schema.ts), read the
 * external data files it names, convert the graph into layer entries and named weights
 * (src/io/onnx/convert.ts), and build the Model with the shared importer (src/nn/model_import.ts),
 * which uploads each weight once and leaves nothing allocated if anything fails.
 *
 * `readOnnxModel` stops before the GPU: it says what the model expects (its input shape with free
 * dims, its metadata) so a page can choose the input size, then `instantiate` builds it.
 */
import type { Engine } from '../../engine.js';
import { asCnnError, CnnError, throwIfAborted } from '../../errors.js';
import type { Model } from '../../nn/model.js';
import { importModel } from '../../nn/model_import.js';
import { openSource, type ReadProgress, type Source, type SourceInput } from '../source.js';
import { convertModel, OP, supportedOps } from './convert.js';
import { ProtoError } from './protobuf.js';
import { decodeModel, looksLikeOnnx, type Dim, type ModelProto } from './schema.js';

export interface OnnxLoadOptions {
  /** Fractions in [0, 1] as the file and its external data arrive; 1 once the model is ready. */
  onProgress?: (fraction: number) => void;
  /** Aborting rejects with a CnnAbortError (name 'AbortError') and leaves nothing allocated. */
  signal?: AbortSignal;
  /**
   * The [height, width] (or one number for both) to run a model whose input leaves them free
   * (symbolic or -1 dims). A fixed size in the file is used as it is.
   */
  inputSize?: number | readonly [number, number];
  /**
   * Files the model refers to (external data), found by file name instead of beside its URL: for a
   * model behind a blob: or data: URL, which has no folder to find them in.
   */
  files?: FileList | readonly File[];
}

/** What an ONNX file says about itself, before anything reaches the GPU. */
export interface OnnxModelInfo {
  /** The file: its URL or name. */
  file: string;
  graphName: string;
  producer: string;
  irVersion: number;
  opset: number;
  /** The input's name and ONNX shape (NCHW for images): a number, a symbolic name, or null (unknown) per dim. */
  input: { name: string; shape: Dim[] };
  /** Whether the input's height and width are free, so `inputSize` picks them. */
  freeInputSize: boolean;
  outputs: { name: string; shape: Dim[] | undefined }[];
  /** metadata_props: free-form strings a model may carry (labels, a description, normalisation). */
  metadata: Map<string, string>;
}

/** A parsed ONNX file, ready to be built at an input size. */
export interface OnnxFile {
  info: OnnxModelInfo;
  /** Builds the model on the engine (uploads its weights). Can be called again for another size. */
  instantiate(engine: Engine, opts?: Omit<OnnxLoadOptions, 'onProgress'> & { onProgress?: (fraction: number) => void }): Promise<Model>;
}

/**
 * Loads an ONNX model (a `.onnx` file, its external data files beside it) onto the engine. The
 * model takes NHWC input (`[n, h, w, c]`); its layers are named after the ONNX output tensors.
 * @example
 * const model = await loadOnnxModel(engine, 'models/resnet50.onnx', { onProgress: (f) => (bar.value = f) });
 * const acts = model.run(engine.tensor(pixels, [1, 224, 224, 3]));
 * const logits = await acts.output.read(); // [1, 1000]
 * acts.dispose();
 */
export async function loadOnnxModel(engine: Engine, source: SourceInput, opts: OnnxLoadOptions = {}): Promise<Model> {
  const report = opts.onProgress;
  const file = await readOnnxModel(source, { signal: opts.signal, files: opts.files, onProgress: report && ((f) => report(f * 0.95)) });
  return file.instantiate(engine, { ...opts, onProgress: report && ((f) => report(0.95 + f * 0.05)) });
}

/**
 * Reads and parses an ONNX model and its external data, without touching the GPU.
 * @example
 * const onnx = await readOnnxModel(fileInput.files);
 * const size = onnx.info.freeInputSize ? [image.height, image.width] as const : undefined;
 * const model = await onnx.instantiate(engine, { inputSize: size });
 */
export async function readOnnxModel(source: SourceInput, opts: Pick<OnnxLoadOptions, 'signal' | 'onProgress' | 'files'> = {}): Promise<OnnxFile> {
  const { signal } = opts;
  throwIfAborted(OP, signal);
  try {
    const progress = new Progress(opts.onProgress);
    const src = openSource(source, { op: OP, signal, what: 'the ONNX model', pick: pickOnnx, siblings: opts.files, onProgress: (p) => progress.file(p) });
    const bytes = await src.main.bytes();
    return await parseOnnx(src, bytes, progress, signal);
  } catch (e) {
    throwIfAborted(OP, signal);
    throw asCnnError(OP, e);
  }
}

/** The rest of reading once the main file's bytes are in (the format dispatcher enters here). */
export async function parseOnnx(src: Source, bytes: Uint8Array, progress: Progress, signal: AbortSignal | undefined): Promise<OnnxFile> {
  const file = src.main.name;
  if (!looksLikeOnnx(bytes)) {
    const text = bytes[0] === 0x7b || bytes[0] === 0x20 || bytes[0] === 0x0a;
    throw new CnnError(OP, `${file} is not an ONNX model (it does not start as a serialized ModelProto)${text ? '; it looks like JSON: for a TF.js model.json use loadLayersModel' : ''}`);
  }
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    if (e instanceof ProtoError) throw new CnnError(OP, `${file} ${e.kind === 'limit' ? 'is refused' : 'is truncated or corrupt'}: ${e.message.replace(/^protobuf: /, '')}`, { cause: e });
    throw e;
  }
  if (!model.graph) throw new CnnError(OP, `${file} has no graph`);
  const external = await readExternal(src, model, progress, signal);
  progress.done();
  const info = describe(file, model);
  return {
    info,
    instantiate: async (engine, o = {}) => {
      const sig = o.signal ?? signal;
      throwIfAborted(OP, sig);
      try {
        const limits = engine.device.limits;
        const size = o.inputSize;
        const converted = convertModel(model, {
          file,
          inputSize: size === undefined ? undefined : typeof size === 'number' ? [size, size] : [size[0], size[1]],
          maxBindingBytes: Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize),
          external: (loc) => external.get(loc),
        });
        o.onProgress?.(0);
        const built = await importModel(engine, {
          graph: { name: converted.name, topology: 'functional', layers: converted.layers, output: converted.output },
          weights: converted.weights,
          weightsSource: `the ONNX file ${file}`,
          // Each weight's values are made when the builder asks for them, uploaded and dropped.
          readWeights: async () => new LazyValues(converted.produce),
        }, { op: OP, signal: sig });
        o.onProgress?.(1);
        return built;
      } catch (e) {
        throwIfAborted(OP, sig);
        throw asCnnError(OP, e);
      }
    },
  };
}

/** Reads every external data file the initializers name, once each. */
async function readExternal(src: Source, model: ModelProto, progress: Progress, signal: AbortSignal | undefined): Promise<Map<string, Uint8Array>> {
  const locations = new Set<string>();
  for (const t of model.graph!.initializers) if (t.external?.location) locations.add(t.external.location);
  for (const n of model.graph!.nodes) for (const a of n.attributes.values()) if (a.t?.external?.location) locations.add(a.t.external.location);
  const out = new Map<string, Uint8Array>();
  for (const loc of locations) {
    if (loc.includes('..') || loc.startsWith('/')) throw new CnnError(OP, `${src.main.name} names the external data file '${loc}', which is outside the model's folder`);
    throwIfAborted(OP, signal);
    progress.external();
    out.set(loc, await src.sibling(loc, `the external data file '${loc}' (named by ${src.main.name})`).bytes());
  }
  return out;
}

function describe(file: string, m: ModelProto): OnnxModelInfo {
  const g = m.graph!;
  const inits = new Set(g.initializers.map((t) => t.name));
  const input = g.inputs.find((i) => !inits.has(i.name));
  const shape = input?.shape ?? [];
  const free = (d: Dim | undefined) => typeof d !== 'number' || d <= 0;
  return {
    file,
    graphName: g.name,
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
    irVersion: m.irVersion,
    opset: m.opsets.get('') ?? 0,
    input: { name: input?.name ?? '', shape },
    freeInputSize: shape.length === 4 && (free(shape[2]) || free(shape[3])),
    outputs: g.outputs.map((o) => ({ name: o.name, shape: o.shape })),
    metadata: m.metadata,
  };
}

/** The .onnx file among several given (its external data files are found by name). */
function pickOnnx(files: readonly File[]): File {
  const onnx = files.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx.length === 1) return onnx[0]!;
  const names = files.map((f) => f.name).join(', ');
  throw new CnnError(OP, onnx.length === 0 ? `no .onnx file among the ${files.length} files given (${names})` : `several .onnx files were given (${onnx.map((f) => f.name).join(', ')}); give one model at a time`);
}

/**
 * Progress over the files read: the model file is most of it unless external data follows, which
 * then takes the rest; the fraction never goes back.
 */
export class Progress {
  private last = 0;
  private base = 0;
  private span = 0.9;

  constructor(private readonly report: ((fraction: number) => void) | undefined) {
    report?.(0);
  }

  file(p: ReadProgress): void {
    if (!this.report || p.total === undefined || p.total === 0) return;
    this.emit(this.base + this.span * (p.loaded / p.total));
  }

  /** An external file begins: it shares what is left before 0.99. */
  external(): void {
    this.base = this.last;
    this.span = (0.99 - this.last) / 2;
  }

  done(): void {
    this.emit(1);
  }

  private emit(f: number): void {
    const v = Math.min(Math.max(f, this.last), 1);
    if (v === this.last && v !== 0) return;
    this.last = v;
    this.report?.(v);
  }
}

/** The weights' values as the builder reads them: each computed on `get`, not kept. */
class LazyValues extends Map<string, Float32Array> {
  constructor(private readonly produce: ReadonlyMap<string, () => Float32Array>) {
    super();
  }

  override get(name: string): Float32Array | undefined {
    return this.produce.get(name)?.();
  }

  override has(name: string): boolean {
    return this.produce.has(name);
  }
}

/** Every ONNX operator the importer reads (some only on constants, which it evaluates at load). */
export const supportedOnnxOps = supportedOps;
