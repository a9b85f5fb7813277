/**
 * A forward pass that stops where an objective's layers are computed: only those layers and what
 * they depend on run. Feature visualisation of an early layer of a deep network (the face
 * network's second block, say) then costs a few layers per step, not the whole network.
 */
import type { Tensor } from '../tensor.js';
import type { Model, Activations } from '../nn/model.js';
import type { Ops } from '../nn/ops_like.js';

/** The layers `names` need, themselves included: each one's inbound layers, back to the input. */
export function neededLayers(model: Model, names: readonly string[]): Set<string> {
  const need = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    need.add(n);
    stack.push(...model.inboundOf(n));
  }
  return need;
}

/**
 * The outputs of the layers in `need` (from `neededLayers`), through `ops`. `output` is the last
 * layer computed. Through a tape, the tape owns them; through the engine, `dispose()` frees them
 * (not x).
 */
export function runPartial(model: Model, x: Tensor, ops: Ops, need: ReadonlySet<string>): Activations {
  const outputs = new Map<string, Tensor>();
  let last = x;
  for (const layer of model.layers) {
    if (!need.has(layer.name)) continue;
    const ins = layer.name === model.inputName ? [x] : model.inboundOf(layer.name).map((s) => outputs.get(s)!);
    last = layer.call(ops, ins, false);
    outputs.set(layer.name, last);
  }
  return {
    outputs,
    output: last,
    dispose: () => {
      for (const t of new Set(outputs.values())) if (t !== x) t.dispose();
      outputs.clear();
    },
  };
}
