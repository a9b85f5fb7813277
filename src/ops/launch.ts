/** Workgroup shapes and grids for the register-blocked kernels (x: channel groups, y: pixel blocks). */

/**
 * A 64-invocation workgroup whose x extent fits the channel groups: with few channels (a first
 * layer's 3, a LeNet's 6) a fixed 8-wide x would leave most invocations idle.
 */
export function blockWorkgroup(channelGroups: number): { WG_X: number; WG_Y: number } {
  let wx = 1;
  while (wx < channelGroups && wx < 16) wx *= 2;
  return { WG_X: wx, WG_Y: 64 / wx };
}

/** The dispatch for `channelGroups × blocks` threads, folding y into z past 65,535 workgroups. */
export function blockGrid(channelGroups: number, blocks: number, wg: { WG_X: number; WG_Y: number }): [number, number, number] {
  const gx = Math.ceil(channelGroups / wg.WG_X);
  const gy = Math.ceil(blocks / wg.WG_Y);
  if (gy <= 65535) return [gx, gy, 1];
  const z = Math.ceil(gy / 65535);
  return [gx, Math.ceil(gy / z), z];
}

/**
 * How many slices to split a long filter-gradient reduction into: enough to give the GPU work for
 * all its cores when there are few threads without them, but never slices shorter than 64 pixels
 * (the reduce pass would cost more than it saves) nor partial sums beyond 64 MiB.
 */
export function splitCount(isSoftware: boolean, threads: number, pixels: number, dwSize: number): number {
  const target = isSoftware ? 512 : 16384;
  const wanted = Math.ceil(target / Math.max(threads, 1));
  const byLength = Math.max(1, Math.floor(pixels / 64));
  const byMemory = Math.max(1, Math.floor((64 * 1024 * 1024) / (dwSize * 4)));
  return Math.max(1, Math.min(wanted, byLength, byMemory, 65535));
}
