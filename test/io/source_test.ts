import { expect } from '@esm-bundle/chai';
import { openSource, SourceError, type ReadProgress, type SourceInput, type SourceOptions } from '../../src/io/source.js';
import { CnnError } from '../../src/errors.js';

const bytesOf = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** What a read rejects with (a test fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<CnnError> {
  let error: unknown = null;
  await p.then(() => undefined, (e: unknown) => (error = e));
  expect(error, 'the read rejects with a CnnError').to.be.instanceOf(CnnError);
  return error as CnnError;
}

/** A FileList as a picker or a drop gives it. */
function fileList(files: File[]): FileList {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  return dt.files;
}

/** Progress events are per file, never go back, and a file's last event has loaded === total. */
function expectProgress(events: ReadProgress[], file: string, size: number): void {
  const mine = events.filter((p) => p.file === file);
  expect(mine.length, `progress events for ${file}`).to.be.at.least(1);
  mine.forEach((p, i) => expect(p.loaded, 'loaded never goes back').to.be.at.least(mine[i - 1]?.loaded ?? 0));
  const last = mine[mine.length - 1]!;
  expect(last).to.deep.equal({ file, loaded: size, total: size });
  for (const p of mine) if (p.total !== undefined) expect(p.loaded).to.be.at.most(p.total);
}

/** Serves `routes` (by URL path) through a stand-in for fetch while `body` runs. */
async function withFetch<T>(routes: Map<string, (init?: RequestInit) => Response | Promise<Response>>, body: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = async (req: RequestInfo | URL, init?: RequestInit) => {
    init?.signal?.throwIfAborted();
    const route = routes.get(new URL(req instanceof Request ? req.url : String(req)).pathname);
    return route ? route(init) : new Response('no such file', { status: 404, statusText: 'Not Found' });
  };
  try {
    return await body();
  } finally {
    globalThis.fetch = real;
  }
}

describe('openSource', () => {
  it('reads a Blob, a File, an ArrayBuffer and a Uint8Array view, with progress ending at the size', async () => {
    const data = bytesOf(300_000);
    const cases: [string, SourceInput, string][] = [
      ['Blob', new Blob([data]), 'the model'],
      ['File', new File([data], 'net.onnx'), 'net.onnx'],
      ['ArrayBuffer', data.slice().buffer, 'the model'],
      ['Uint8Array view', new Uint8Array(new Uint8Array([9, 9, ...data, 9]).buffer, 2, data.length), 'the model'],
    ];
    for (const [what, input, name] of cases) {
      const events: ReadProgress[] = [];
      const src = openSource(input, { onProgress: (p) => events.push(p) });
      expect(src.main.name, what).to.equal(name);
      expect(src.main.size, what).to.equal(data.length);
      const got = await src.main.bytes();
      expect(got.length, what).to.equal(data.length);
      expect(got.every((v, i) => v === data[i]), `${what}: same bytes`).to.equal(true);
      expectProgress(events, name, data.length);
    }
    expect(await openSource(new Blob(['{"a": "é"}'])).main.text()).to.equal('{"a": "é"}');
  });

  it('finds the main file of a FileList (or File[]) with pick, and siblings by base name', async () => {
    const json = new File(['{"weights": ["shards/w1.bin"]}'], 'model.json');
    const shard = new File([bytesOf(1000, 7)], 'w1.bin');
    const pick = (fs: readonly File[]) => fs.find((f) => f.name.endsWith('.json'))!;
    for (const [what, input] of [['FileList', fileList([shard, json])], ['File[]', [shard, json]]] as const) {
      const events: ReadProgress[] = [];
      const src = openSource(input, { pick, onProgress: (p) => events.push(p) });
      expect(src.main.name, what).to.equal('model.json');
      expect(JSON.parse(await src.main.text())).to.deep.equal({ weights: ['shards/w1.bin'] });
      const w = src.sibling('shards/w1.bin');
      expect(w.name).to.equal('w1.bin');
      expect([...(await w.bytes())]).to.deep.equal([...bytesOf(1000, 7)]);
      expectProgress(events, 'w1.bin', 1000);
      const err = await rejection(src.sibling('shards/w2.bin', "weight shard 'shards/w2.bin'").bytes());
      expect(err).to.be.instanceOf(SourceError);
      expect((err as SourceError).file).to.equal('w2.bin');
      expect(err.message).to.equal("openSource: weight shard 'shards/w2.bin' is missing: it was not among the files given (w1.bin, model.json)");
    }
    // Without pick, several files are refused rather than guessed at; a one-file source has no siblings.
    expect(() => openSource([shard, json], { what: 'the ONNX model' })).to.throw(CnnError, /2 files were given \(w1.bin, model.json\); say which one is the ONNX model/);
    const alone = openSource(json, { op: 'loadX' });
    const err = await rejection(alone.sibling('w1.bin').bytes());
    expect(err.message).to.equal("loadX: 'w1.bin' is missing: only model.json was given, and it refers to 'w1.bin'");
    expect(() => openSource(42 as unknown as SourceInput)).to.throw(CnnError, /cannot open number 42: a model source is a URL/);
    expect(() => openSource([])).to.throw(CnnError, /no files were given/);
  });

  it('fetches a URL from the server and resolves siblings against it, with progress ending at each file size', async () => {
    const url = '/demo/models/mnist/model.json';
    const [jsonRef, binRef] = await Promise.all(['model.json', 'weights.bin'].map(async (f) => new Uint8Array(await (await fetch(`/demo/models/mnist/${f}`)).arrayBuffer())));
    const events: ReadProgress[] = [];
    const src = openSource(url, { onProgress: (p) => events.push(p) });
    const href = new URL(url, location.href).href;
    expect(src.main.name).to.equal(href);
    const json = JSON.parse(await src.main.text()) as { weightsManifest: { paths: string[] }[] };
    expect(json).to.deep.equal(JSON.parse(new TextDecoder().decode(jsonRef!)));
    const shard = src.sibling(json.weightsManifest[0]!.paths[0]!);
    expect(shard.name).to.equal(new URL('/demo/models/mnist/weights.bin', location.href).href);
    const bin = await shard.bytes();
    expect(bin.length).to.equal(binRef!.length);
    expect(bin.every((v, i) => v === binRef![i])).to.equal(true);
    expectProgress(events, href, jsonRef!.length);
    expectProgress(events, shard.name, binRef!.length);
    expect(events.filter((p) => p.file === shard.name).length, 'a 320 KB shard reports more than once').to.be.above(1);
  });

  it('names the URL and the HTTP status when a fetch fails, and status 0 when the server cannot be reached', async () => {
    const missing = openSource('/demo/models/mnist/', { op: 'loadThing' }).sibling('nothing.bin', "weight shard 'nothing.bin'");
    const err = await rejection(missing.bytes());
    expect(err).to.be.instanceOf(SourceError);
    expect((err as SourceError).status).to.equal(404);
    expect((err as SourceError).file).to.equal(new URL('/demo/models/mnist/nothing.bin', location.href).href);
    expect(err.message).to.match(/^loadThing: weight shard 'nothing.bin' could not be fetched from http:\/\/.*\/demo\/models\/mnist\/nothing.bin \(HTTP 404/);
    const down = await withFetch(new Map([['/m/a.bin', () => Promise.reject(new TypeError('Failed to fetch'))]]), () => rejection(openSource('http://models.test/m/a.bin').main.bytes()));
    expect(down).to.be.instanceOf(SourceError);
    expect((down as SourceError).status).to.equal(0);
    expect(down.message).to.equal('openSource: the model could not be fetched from http://models.test/m/a.bin (Failed to fetch)');
  });

  it('an abort before reading rejects with an AbortError that is a CnnError, and fetches nothing', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('no thanks', 'AbortError'));
    let fetched = 0;
    const routes = new Map([['/m/a.bin', () => (fetched++, new Response(bytesOf(10)))]]);
    const inputs: SourceInput[] = ['http://models.test/m/a.bin', new Blob([bytesOf(10)]), bytesOf(10).buffer, [new File([bytesOf(10)], 'a.bin')]];
    for (const input of inputs) {
      const err = await withFetch(routes, () => rejection(openSource(input, { op: 'loadThing', signal: controller.signal }).main.bytes()));
      expect(err.name).to.equal('AbortError');
      expect(err.message).to.equal('loadThing: aborted (no thanks)');
      expect(err.cause).to.equal(controller.signal.reason);
    }
    expect(fetched).to.equal(0);
  });

  it('an abort while a URL or a Blob is being read rejects promptly and cancels the stream', async () => {
    // A body that sends one chunk and then never ends.
    let cancelled: unknown = null;
    const stalled = () =>
      new Response(new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(bytesOf(100)),
        cancel: (reason) => void (cancelled = reason),
      }), { headers: { 'content-length': '1000' } });
    const controller = new AbortController();
    const events: ReadProgress[] = [];
    const opts: SourceOptions = { signal: controller.signal, onProgress: (p) => events.push(p) };
    const err = await withFetch(new Map([['/m/slow.bin', stalled]]), async () => {
      const reading = rejection(openSource('http://models.test/m/slow.bin', opts).main.bytes());
      while (!events.some((p) => p.loaded === 100)) await new Promise((r) => setTimeout(r, 5));
      const t0 = performance.now();
      controller.abort(new DOMException('user cancelled', 'AbortError'));
      const e = await reading;
      expect(performance.now() - t0, 'ms from abort to rejection').to.be.below(200);
      return e;
    });
    expect(err.name).to.equal('AbortError');
    expect(err.message).to.equal('openSource: aborted (user cancelled)');
    expect(events[0]).to.deep.equal({ file: 'http://models.test/m/slow.bin', loaded: 0, total: 1000 });
    expect(cancelled, 'the stream was cancelled with the reason').to.equal(controller.signal.reason);

    // A large Blob, aborted from its first progress event.
    const blobAbort = new AbortController();
    const big = new Blob([new Uint8Array(32 * 2 ** 20)]);
    let reports = 0;
    const blobErr = await rejection(openSource(big, { signal: blobAbort.signal, onProgress: (p) => void (p.loaded > 0 && ++reports === 1 && blobAbort.abort()) }).main.bytes());
    expect(blobErr.name).to.equal('AbortError');
    expect(reports).to.equal(1);
  });
});
