/**
 * Central finite differences in float64: the gradient of L = Σ f(x) · r at x, for a CPU forward f
 * written in plain loops. It checks a GPU gradient against the definition of a derivative.
 */
export function numericGradient(f: (x: Float64Array) => Float64Array, x: ArrayLike<number>, r: ArrayLike<number>, eps = 1e-3): Float64Array {
  const xs = Float64Array.from(x as ArrayLike<number>);
  const g = new Float64Array(xs.length);
  const loss = (): number => {
    const y = f(xs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
    return s;
  };
  for (let i = 0; i < xs.length; i++) {
    const keep = xs[i]!;
    xs[i] = keep + eps;
    const up = loss();
    xs[i] = keep - eps;
    const down = loss();
    xs[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}
