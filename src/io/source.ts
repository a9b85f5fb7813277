/**
 * Opening a model's files from whatever the page has: a URL, the File or FileList a picker or a
 * drop gives, a Blob, or bytes already in memory. Every format reads through this, so each gets
 * progress in bytes, cancellation by an AbortSignal, and errors that name the file and what was
 * wrong. A format whose model spans several files (a TF.js model.json and its weight shards) finds
 * the others with `sibling(path)`: relative to the model's URL, or by file name among the files given.
 *
 * Nothing is read until a file's `bytes()` or `text()` is called.
 */
import { CnnAbortError, CnnError, throwIfAborted } from '../errors.js';

/** What a model can be opened from. */
export type SourceInput = string | URL | Blob | FileList | readonly File[] | ArrayBuffer | ArrayBufferView;

export interface ReadProgress {
  /** The file being read: its URL, or its file name. */
  file: string;
  /** Bytes of that file read so far. */
  loaded: number;
  /** The file's size in bytes when known (a server need not say). The last event of a file has `loaded === total`. */
  total: number | undefined;
}

export interface SourceOptions {
  /** Names the operation in errors, e.g. 'loadLayersModel'. */
  op?: string;
  /** Aborting rejects pending reads with a CnnAbortError (name 'AbortError'). */
  signal?: AbortSignal;
  /** Called as bytes arrive, per file. */
  onProgress?: (p: ReadProgress) => void;
  /** What the main file is, for errors: 'model.json', 'the ONNX model'. */
  what?: string;
  /**
   * Which of several given files is the model's main one (a format knows: TF.js takes the .json).
   * Throw a CnnError to refuse the set. Default: the only file, or an error when there are several.
   */
  pick?: (files: readonly File[]) => File;
  /**
   * Files among which a URL's siblings are found by name instead of beside it: what a blob: or
   * data: URL needs, having no folder to resolve a relative path in.
   */
  siblings?: FileList | readonly File[];
}

/** A file could not be fetched, read, or found among those given. */
export class SourceError extends CnnError {
  constructor(
    op: string,
    message: string,
    /** The file: its URL, file name, or what it is. */
    readonly file: string,
    /** The HTTP status when a server answered with an error; 0 when it could not be reached at all. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(op, message, options);
    this.name = 'SourceError';
  }
}

/** One file of a model, not yet read. */
export interface SourceFile {
  /** Its URL, or its file name; progress events and errors use it. */
  readonly name: string;
  /** Its size in bytes when known before reading (a Blob's, an ArrayBuffer's). */
  readonly size: number | undefined;
  /** The whole file. For an ArrayBuffer or view source, a view of the caller's bytes, not a copy. */
  bytes(): Promise<Uint8Array>;
  /** The whole file as UTF-8 text. */
  text(): Promise<string>;
}

/** An opened model source: its main file and a way to reach the files it refers to. */
export interface Source {
  readonly main: SourceFile;
  /**
   * A file the main file names by a relative path: resolved against the main file's URL, or found by
   * its base name among the files given. `what` names it in errors ("weight shard 'group1-shard1of2.bin'").
   */
  sibling(path: string, what?: string): SourceFile;
}

/**
 * Opens `input` for reading; reads nothing yet.
 * @example
 * const src = openSource(fileInput.files, { pick: (fs) => fs.find((f) => f.name.endsWith('.json'))!, signal, onProgress: (p) => console.log(p.file, p.loaded, p.total) });
 * const json = JSON.parse(await src.main.text());
 * const shard = await src.sibling(json.weightsManifest[0].paths[0]).bytes();
 */
export function openSource(input: SourceInput, opts: SourceOptions = {}): Source {
  const ctx: Context = { op: opts.op ?? 'openSource', signal: opts.signal, onProgress: opts.onProgress };
  const what = opts.what ?? 'the model';
  if (typeof input === 'string' || input instanceof URL) return urlSource(input, what, ctx, opts.siblings && Array.from(opts.siblings as ArrayLike<File>));
  if (isFileList(input)) return fileListSource(Array.from(input as ArrayLike<File>), what, opts.pick, ctx);
  if (input instanceof Blob) return single(blobFile(input, input instanceof File ? input.name : what, what, ctx), ctx);
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return single(bufferFile(input, what, ctx), ctx);
  throw new CnnError(ctx.op, `cannot open ${describe(input)}: a model source is a URL, a File, a FileList, a Blob, an ArrayBuffer or a Uint8Array`);
}

/** True for a FileList or an array of Files (what a picker or a drop gives). */
export function isFileList(s: unknown): s is FileList | readonly File[] {
  if (typeof FileList !== 'undefined' && s instanceof FileList) return true;
  return Array.isArray(s) && s.every((f) => f instanceof Blob && typeof (f as File).name === 'string');
}

interface Context {
  op: string;
  signal: AbortSignal | undefined;
  onProgress: ((p: ReadProgress) => void) | undefined;
}

function urlSource(input: string | URL, what: string, ctx: Context, given: File[] | undefined): Source {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  let url: URL;
  try {
    url = new URL(input, base);
  } catch (e) {
    throw new CnnError(ctx.op, `${what}: '${String(input)}' is not a URL`, { cause: e });
  }
  const main = urlFile(url, what, ctx);
  if (given) return { main, sibling: (path, sub = `'${path}'`) => findByName(given, path, sub, ctx) };
  return {
    main,
    sibling: (path, sub = `'${path}'`) => {
      let at: URL;
      try {
        at = new URL(path, url);
      } catch (e) {
        // A blob: or data: URL is no base: it has no folder for a relative path to be in.
        const why = url.protocol === 'blob:' || url.protocol === 'data:' ? `which a ${url.protocol} URL has no folder to find` : `which is no URL relative to it (${(e as Error).message})`;
        return missing(`${what} at ${url.href.slice(0, 120)} refers to ${sub}, ${why}; pass that file in the \`files\` option`, path, ctx);
      }
      return urlFile(at, sub, ctx);
    },
  };
}

function urlFile(url: URL, what: string, ctx: Context): SourceFile {
  const read = async (): Promise<Uint8Array> => {
    throwIfAborted(ctx.op, ctx.signal);
    let res: Response;
    try {
      res = await fetch(url, { signal: ctx.signal });
    } catch (e) {
      throwIfAborted(ctx.op, ctx.signal);
      throw new SourceError(ctx.op, `${what} could not be fetched from ${url.href} (${(e as Error).message})`, url.href, 0, { cause: e });
    }
    if (!res.ok) {
      void res.body?.cancel().catch(() => undefined);
      throw new SourceError(ctx.op, `${what} could not be fetched from ${url.href} (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''})`, url.href, res.status);
    }
    // Content-Length counts encoded bytes; when the body arrives compressed it is no total of ours.
    const length = res.headers.get('content-length');
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const total = length !== null && !encoded && Number.isSafeInteger(Number(length)) ? Number(length) : undefined;
    if (!res.body) {
      try {
        return fromBuffer(await res.arrayBuffer(), url.href, ctx);
      } catch (e) {
        throwIfAborted(ctx.op, ctx.signal);
        throw new SourceError(ctx.op, `${what} from ${url.href} could not be read (${(e as Error).message})`, url.href, undefined, { cause: e });
      }
    }
    return readStream(res.body, url.href, total, `${what} from ${url.href}`, ctx);
  };
  return file(url.href, undefined, read);
}

function blobFile(blob: Blob, name: string, what: string, ctx: Context): SourceFile {
  const label = blob instanceof File ? `the file ${blob.name}` : what;
  return file(name, blob.size, async () => {
    throwIfAborted(ctx.op, ctx.signal);
    return readStream(blob.stream(), name, blob.size, label, ctx);
  });
}

function bufferFile(input: ArrayBuffer | ArrayBufferView, what: string, ctx: Context): SourceFile {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return file(what, bytes.byteLength, async () => {
    throwIfAborted(ctx.op, ctx.signal);
    ctx.onProgress?.({ file: what, loaded: bytes.byteLength, total: bytes.byteLength });
    return bytes;
  });
}

/** A source of one file: it has no siblings. */
function single(main: SourceFile, ctx: Context): Source {
  return {
    main,
    sibling: (path, what = `'${path}'`) => missing(`${what} is missing: only ${main.name} was given, and it refers to '${path}'`, path, ctx),
  };
}

function fileListSource(files: File[], what: string, pick: SourceOptions['pick'], ctx: Context): Source {
  if (files.length === 0) throw new CnnError(ctx.op, `no files were given for ${what}`);
  let main: File;
  if (pick) main = pick(files);
  else if (files.length === 1) main = files[0]!;
  else throw new CnnError(ctx.op, `${files.length} files were given (${names(files)}); say which one is ${what}`);
  return {
    main: blobFile(main, main.name, what, ctx),
    sibling: (path, sub = `'${path}'`) => findByName(files, path, sub, ctx),
  };
}

/** The file of `path`'s base name among those given. */
function findByName(files: readonly File[], path: string, sub: string, ctx: Context): SourceFile {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const f = files.find((x) => x.name === base);
  return f ? blobFile(f, f.name, sub, ctx) : missing(`${sub} is missing: it was not among the files given (${names(files)})`, base, ctx);
}

function missing(message: string, name: string, ctx: Context): SourceFile {
  return file(name, undefined, async () => {
    throwIfAborted(ctx.op, ctx.signal);
    throw new SourceError(ctx.op, message, name);
  });
}

function file(name: string, size: number | undefined, read: () => Promise<Uint8Array>): SourceFile {
  return {
    name,
    size,
    bytes: read,
    text: async () => new TextDecoder().decode(await read()),
  };
}

function fromBuffer(buf: ArrayBuffer, name: string, ctx: Context): Uint8Array {
  throwIfAborted(ctx.op, ctx.signal);
  ctx.onProgress?.({ file: name, loaded: buf.byteLength, total: buf.byteLength });
  return new Uint8Array(buf);
}

/**
 * The stream's bytes, reporting progress after each chunk. An abort cancels the stream and rejects
 * at once, whether or not the stream notices.
 */
async function readStream(stream: ReadableStream<Uint8Array>, name: string, total: number | undefined, label: string, ctx: Context): Promise<Uint8Array> {
  const reader = stream.getReader();
  const { signal } = ctx;
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reader.cancel(signal!.reason).catch(() => undefined);
      reject(new CnnAbortError(ctx.op, signal!.reason));
    };
  });
  aborted.catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  const declared = total;
  let loaded = 0;
  try {
    ctx.onProgress?.({ file: name, loaded: 0, total });
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await Promise.race([reader.read(), aborted]);
      } catch (e) {
        if (e instanceof CnnAbortError) throw e;
        throwIfAborted(ctx.op, signal);
        // A connection lost part-way says only "network error": say how far it got.
        const of = declared !== undefined ? ` of its ${declared}` : '';
        throw new SourceError(ctx.op, `${label} could not be read (${e instanceof Error ? e.message : String(e)}) after receiving ${loaded}${of} bytes`, name, undefined, { cause: e });
      }
      throwIfAborted(ctx.op, signal);
      if (step.done) break;
      chunks.push(step.value);
      loaded += step.value.byteLength;
      // A total that was wrong (a server's stale Content-Length) is no total.
      if (total !== undefined && loaded > total) total = undefined;
      if (total === undefined || loaded < total) ctx.onProgress?.({ file: name, loaded, total });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  ctx.onProgress?.({ file: name, loaded, total: loaded });
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function names(files: readonly File[]): string {
  return files.map((f) => f.name).join(', ') || 'none';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return `${typeof v} ${String(v).slice(0, 40)}`;
  return v.constructor?.name ?? 'an object';
}
