import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { launchConv2d } from '../../src/ops/conv2d.js';
import { DispatchTrace, chromeTrace, traceDispatches, type ChromeTrace } from '../../src/gpu/trace.js';
import type { Engine } from '../../src/engine.js';
import { CnnError } from '../../src/errors.js';

/** x [2, 16, 16, 4] ∗ w [3, 3, 4, 8] 'same', a bias of 8: one conv layer's tensors. */
function layer(e: Engine) {
  const rng = new Rng(11);
  return {
    x: e.tensor(rng.uniform(2 * 16 * 16 * 4), [2, 16, 16, 4]),
    w: e.tensor(rng.uniform(3 * 3 * 4 * 8), [3, 3, 4, 8]),
    bias: e.tensor(rng.uniform(8), [8]),
  };
}

describe('DispatchTrace', () => {
  gpuIt('sees a conv2d with a fused bias and relu as one dispatch of the conv kernel', async (e) => {
    const { x, w, bias } = layer(e);
    let y = x;
    const trace = await traceDispatches(e, () => {
      y = launchConv2d(e, 'block', x, w, { pad: 'same', bias, activation: 'relu' });
    });
    expect(trace.count).to.equal(1);
    const [d] = trace.records;
    expect(d!.shader).to.equal('conv2d');
    expect(d!.entry).to.equal('conv2d_block');
    // 4 pixels × 4 channels per thread: 2 channel groups × (2·16·16 / 4) pixel blocks = 256
    // threads, in workgroups of 2 × 32 (the x extent fits the 2 channel groups): 1 × 4 of them.
    expect(d!.workgroups).to.deep.equal([1, 4, 1]);
    expect(d!.constants).to.include({ HAS_BIAS: 1, ACT: 1 });
    expect(d!.bytesBound).to.equal(x.buffer.size + w.buffer.size + y.buffer.size + bias.buffer.size);
    expect(d!.index).to.equal(0);
    expect(d!.durationMs, 'no GPU time given').to.equal(undefined);
    expect(trace.kernels()).to.equal('conv2d_block');
  });

  gpuIt('adds up the dispatches per kernel and stops recording when stopped', async (e) => {
    const { x, w, bias } = layer(e);
    const trace = DispatchTrace.start(e);
    launchConv2d(e, 'block', x, w, { pad: 'same', bias, activation: 'relu' }).dispose();
    // The same layer unfused: conv, bias add, relu.
    const y = launchConv2d(e, 'block', x, w, { pad: 'same' });
    const z = e.add(y, bias);
    e.relu(z).dispose();
    trace.stop();
    e.relu(z).dispose();
    for (const t of [y, z]) t.dispose();
    expect(trace.count, 'the relu after stop() is not in it').to.equal(4);
    const rows = trace.summary();
    expect(rows.map((r) => [r.shader, r.entry, r.count])).to.deep.equal([
      ['conv2d', 'conv2d_block', 2],
      [trace.records[2]!.shader, trace.records[2]!.entry, 1],
      [trace.records[3]!.shader, trace.records[3]!.entry, 1],
    ]);
    expect(rows[0]!.workgroups).to.equal(8);
    expect(rows[0]!.bytesBound).to.equal(trace.records[0]!.bytesBound + trace.records[1]!.bytesBound);
    expect(rows.reduce((n, r) => n + r.count, 0)).to.equal(trace.count);
    expect(trace.kernels()).to.equal(`conv2d_block ×2 + ${rows[1]!.entry} + ${rows[2]!.entry}`);
  });

  gpuIt('submits each dispatch alone when asked, takes GPU times per dispatch and writes Chrome trace-event JSON', async (e) => {
    const { x, w, bias } = layer(e);
    const pending: number[] = [];
    const trace = await traceDispatches(e, async () => {
      const y = launchConv2d(e, 'block', x, w, { pad: 'same' });
      pending.push(e.scheduler.pendingCount);
      const z = e.add(y, bias);
      pending.push(e.scheduler.pendingCount);
      await z.read();
      for (const t of [y, z]) t.dispose();
    }, { submitEach: true });
    expect(pending, 'nothing left unsubmitted after each dispatch').to.deep.equal([0, 0]);
    expect(trace.count).to.equal(2);
    expect(() => trace.setGpuTimes([1])).to.throw(CnnError, /1 times for 2 dispatches/);
    // As a per-pass timer would give them.
    trace.setGpuTimes([0.5, 0.25]);
    expect(trace.records.map((r) => r.durationMs)).to.deep.equal([0.5, 0.25]);
    expect(trace.summary()[0]!.durationMs).to.equal(0.5);
    expect(trace.spanMs).to.equal(0.75);

    const json = JSON.parse(JSON.stringify(trace.toChromeTrace('one layer'))) as ChromeTrace;
    expect(json.displayTimeUnit).to.equal('ms');
    const meta = json.traceEvents.filter((ev) => ev.ph === 'M');
    expect(meta.map((ev) => ev.args!.name)).to.deep.equal(['cnn-webgpu', 'one layer']);
    const events = json.traceEvents.filter((ev) => ev.ph === 'X');
    expect(events).to.have.length(2);
    expect(events[0]).to.include({ name: 'conv2d.conv2d_block', cat: 'dispatch', pid: 1, tid: 1 });
    expect(events[0]!.args).to.include({ shader: 'conv2d', entry: 'conv2d_block', workgroups: '1×4×1' });
    // End to end on a GPU-busy timeline, in microseconds.
    expect(events.map((ev) => [ev.ts, ev.dur])).to.deep.equal([[0, 500], [500, 250]]);
    expect(events[1]!.args).to.include({ gpuMs: 0.25 });

    // Untimed traces become instants; several traces go on a thread each, one after the other.
    const untimed = await traceDispatches(e, () => e.relu(x).dispose());
    const both = chromeTrace([{ name: 'timed', trace }, { name: 'untimed', trace: untimed }]);
    const instants = both.traceEvents.filter((ev) => ev.ph === 'i');
    expect(instants).to.have.length(1);
    expect(instants[0]).to.include({ tid: 2, s: 't' });
    expect(instants[0]!.ts).to.be.at.least(750);
  });
});
