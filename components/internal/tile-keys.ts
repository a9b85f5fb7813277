/**
 * Keyboard movement over the viewer's tiles (one tab stop for all of them, arrows inside): left and
 * right move between channels of a layer, up and down between layers (keeping the column where the
 * next layer has it), Home and End to a layer's first and last tile.
 */
export interface TilePos {
  layer: number;
  tile: number;
}

/**
 * Where `key` moves from `at`, given the number of tiles of each layer; `at` itself at an edge;
 * null for a key that is not a movement.
 * @example
 * nextTile('ArrowDown', { layer: 0, tile: 5 }, [8, 3]) // { layer: 1, tile: 2 }
 */
export function nextTile(key: string, at: TilePos, counts: readonly number[]): TilePos | null {
  const { layer, tile } = at;
  const last = (l: number) => Math.max(0, (counts[l] ?? 1) - 1);
  switch (key) {
    case 'ArrowRight':
      return { layer, tile: Math.min(tile + 1, last(layer)) };
    case 'ArrowLeft':
      return { layer, tile: Math.max(tile - 1, 0) };
    case 'ArrowDown':
      return layer + 1 < counts.length ? { layer: layer + 1, tile: Math.min(tile, last(layer + 1)) } : at;
    case 'ArrowUp':
      return layer > 0 ? { layer: layer - 1, tile: Math.min(tile, last(layer - 1)) } : at;
    case 'Home':
      return { layer, tile: 0 };
    case 'End':
      return { layer, tile: last(layer) };
    default:
      return null;
  }
}
