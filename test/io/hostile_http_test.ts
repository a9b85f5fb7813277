/**
 * The loader over real HTTP from a server that misbehaves (test/helpers/hostile_server.mjs, served by
 * the test runner): files cut short, connections dropped in the middle of a shard, answers that come
 * late. The model is the shipped MNIST one (demo/models/mnist: model.json and one 320,808-byte shard).
 */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import type { Engine } from '../../src/engine.js';
import { CnnError } from '../../src/errors.js';
import { SourceError } from '../../src/io/source.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';

const SHARD_BYTES = 320808;
const url = (route: string) => new URL(`/hostile/${route}/demo/models/mnist/model.json`, location.href).href;

async function loadError(e: Engine, source: string, opts = {}): Promise<CnnError> {
  const before = e.memory().buffers;
  let error: unknown = null;
  await loadLayersModel(e, source, opts).then((m) => m.dispose(), (x: unknown) => (error = x));
  expect(error, `loading ${source} should fail`).to.be.instanceOf(CnnError);
  expect(e.memory().buffers, 'GPU buffers after the failed load').to.equal(before);
  return error as CnnError;
}

describe('loading from a hostile server', () => {
  gpuIt('a shard cut short fails naming the shard, the bytes expected and received', async (e) => {
    const err = await loadError(e, url('truncate/100000'));
    expect(err.message).to.match(new RegExp(`weight shard 'weights.bin' is truncated: expected ${SHARD_BYTES} bytes, got 100000; weight '.*' runs past the end \\(${SHARD_BYTES - 100000} bytes missing\\)`));
    const json = await loadError(e, url('truncate/1000'));
    expect(json.message).to.match(/model.json at http:.*\/hostile\/truncate\/1000\/demo\/models\/mnist\/model.json is not valid JSON/);
  });

  gpuIt('a connection dropped in the middle of a shard fails naming the shard and what was received', async (e) => {
    const err = await loadError(e, url('drop/100000'));
    expect(err).to.be.instanceOf(SourceError);
    expect(err.message).to.match(new RegExp(`weight shard 'weights.bin' from http:.*/hostile/drop/100000/demo/models/mnist/weights.bin could not be read \\(.+\\) after receiving (\\d+) of its ${SHARD_BYTES} bytes`));
    const received = Number(/after receiving (\d+)/.exec(err.message)![1]);
    expect(received).to.be.within(0, 100000);
    expect((err as SourceError).file).to.match(/\/hostile\/drop\/100000\/demo\/models\/mnist\/weights.bin$/);
    // model.json itself dropped part-way.
    const json = await loadError(e, url('drop/1000'));
    expect(json.message).to.match(/model.json from http:.*\/model.json could not be read \(.+\) after receiving \d+ of its 2626 bytes/);
  });

  gpuIt('a slow server still loads, and an abort while waiting rejects at once', async (e) => {
    const t0 = performance.now();
    let last = 0;
    const model = await loadLayersModel(e, url('delay/150'), { onProgress: (f) => (last = f) });
    expect(performance.now() - t0).to.be.above(290); // model.json, then the shard, each 150 ms late
    expect(last).to.equal(1);
    expect(model.namedWeights().length).to.equal(8);
    model.dispose();

    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new DOMException('user left', 'AbortError')), 50);
    const t1 = performance.now();
    const err = await loadError(e, url('delay/2000'), { signal: ctl.signal });
    expect(err.name).to.equal('AbortError');
    expect(performance.now() - t1).to.be.below(1000);
  });
});
