/**
 * One WGSL source for 1, 2 or 4 channels per thread. A shader written against the names below is
 * compiled once per lane width with this prelude in front, so its scalar and vector kernels are
 * the same text (WGSL has no generics; `alias` and `const` are the nearest it has).
 */
import { Shader, type WgslModule } from './shader.js';

export type Lanes = 1 | 2 | 4;

/** The widest lane count dividing `channels`: vector loads of neighbouring channels. */
export function lanesFor(channels: number): Lanes {
  return channels % 4 === 0 ? 4 : channels % 2 === 0 ? 2 : 1;
}

/** `V` (f32 or a vector of them), `VI` and `VB` (the same in i32 and bool), `LANES`, and `LANE_OFFSETS` (0, 1, …). */
export function lanesPrelude(lanes: Lanes): string {
  const v = (t: string) => (lanes === 1 ? t : `vec${lanes}<${t}>`);
  const offsets = lanes === 1 ? '0' : `${v('i32')}(${[0, 1, 2, 3].slice(0, lanes).join(', ')})`;
  // One line, so compiler messages' line numbers are off by exactly one.
  return `alias V = ${v('f32')}; alias VI = ${v('i32')}; alias VB = ${v('bool')}; const LANES: i32 = ${lanes}; const LANE_OFFSETS: VI = ${offsets};\n`;
}

/** The three compilations of `source`, by lane count. */
export function laneShaders(name: string, source: WgslModule): Record<Lanes, Shader> {
  // The prelude only names types and constants, so the file's reflected bindings hold for each.
  const make = (lanes: Lanes) => new Shader(name, source, `lanes=${lanes}`, lanesPrelude(lanes));
  return { 1: make(1), 2: make(2), 4: make(4) };
}
