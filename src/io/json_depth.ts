/**
 * A bound on how deeply a model file's JSON nests. Much of what reads a model.json walks it
 * recursively (the topology reader, JSON.stringify in error messages, structuredClone, saving), so
 * a file of lists nested 100,000 deep would overflow the stack somewhere with a bare RangeError.
 * One iterative walk up front refuses such a file and says where; everything after may recurse.
 */
import { CnnError } from '../errors.js';

/**
 * Deeper than any real model.json: a Keras 3 functional model reaches about 12 levels, and each
 * model nested in another adds about 6.
 */
export const MAX_JSON_DEPTH = 100;

/** Throws a CnnError of `op` when `value` nests more than MAX_JSON_DEPTH levels, naming the path there. */
export function checkJsonDepth(op: string, value: unknown, what: string): void {
  if (depthExceeded(value)) throw new CnnError(op, `${what} nests more than ${MAX_JSON_DEPTH} levels deep (at ${deepPath(value)}); no model file does, refusing to read it`);
}

/** True when some value lies deeper than MAX_JSON_DEPTH: a walk with an explicit stack, building no strings. */
function depthExceeded(value: unknown): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof x === 'object' && x !== null) {
        values.push(x);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** The path to the first value found deeper than MAX_JSON_DEPTH (only called once there is one). */
function deepPath(value: unknown): string {
  // Each entry keeps its parent's index and its key, so the path is built once, at the end.
  const stack: { v: unknown; depth: number; parent: number; key: string }[] = [{ v: value, depth: 0, parent: -1, key: '' }];
  const seen: { parent: number; key: string }[] = [];
  while (stack.length > 0) {
    const { v, depth, parent, key } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const at = seen.push({ parent, key }) - 1;
    if (depth >= MAX_JSON_DEPTH) return pathOf(seen, at);
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, parent: at, key: `[${i}]` }));
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, depth: depth + 1, parent: at, key: /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]` });
  }
  return 'the top level';
}

/** "modelTopology.config.layers[1]...", shortened in the middle when long. */
function pathOf(seen: readonly { parent: number; key: string }[], at: number): string {
  const keys: string[] = [];
  for (let i = at; i > 0; i = seen[i]!.parent) keys.push(seen[i]!.key);
  keys.reverse();
  const path = keys.length > 16 ? `${keys.slice(0, 12).join('')}...(${keys.length - 16} more)...${keys.slice(-4).join('')}` : keys.join('');
  return path.replace(/^\./, '') || 'the top level';
}
