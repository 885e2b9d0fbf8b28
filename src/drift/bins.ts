/**
 * Fixed bins taken from the reference, shared by PSI, Jensen–Shannon, Hellinger, L∞ and χ²:
 *  - numeric: the reference's deciles (numpy's default 'linear' quantile, k/10 for k = 1..9),
 *    duplicates removed; bin i holds e_i < x ≤ e_{i+1}, with e_0 = −∞ and e_last = +∞, so at
 *    most 10 bins and fewer when the reference has ties (a constant reference gives 2 bins);
 *  - categorical: the reference's categories by frequency (then name), at most MAX_CATEGORIES,
 *    plus a last bin OTHER holding every other value, categories unseen in the reference included.
 */

/** Number of quantile bins of a numeric feature. */
export const NUMERIC_BINS = 10;
/** Most categories kept as their own bin; the rest fall in OTHER. */
export const MAX_CATEGORIES = 100;
/** The name of the last categorical bin: values outside the reference's kept categories. */
export const OTHER = '__other__';

/** Bins of a numeric feature: the inner edges, ascending and distinct (bins = edges.length + 1). */
export interface NumericBinning {
  kind: 'numeric';
  edges: number[];
}

/** Bins of a categorical feature: one per kept category, then OTHER. */
export interface CategoricalBinning {
  kind: 'categorical';
  categories: string[];
}

/** Either binning. */
export type Binning = NumericBinning | CategoricalBinning;

/** numpy's _lerp: a + (b−a)·t, computed from b when t ≥ 0.5 (so the ends are exact). */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  const r = t >= 0.5 ? b - d * (1 - t) : a + d * t;
  return a === b ? a : r;
}

/** The q-quantile of ascending-sorted values, numpy's default method ('linear', type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return lerp(sorted[lo] as number, sorted[hi] as number, pos - lo);
}

/** Decile bins of a sorted, non-empty reference sample. */
export function numericBinning(sortedReference: ArrayLike<number>, bins = NUMERIC_BINS): NumericBinning {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sortedReference, k / bins);
    if (edges.length === 0 || e > (edges[edges.length - 1] as number)) edges.push(e);
  }
  return { kind: 'numeric', edges };
}

/** Category bins of a reference sample: most frequent first, at most `max`. */
export function categoricalBinning(reference: readonly string[], max = MAX_CATEGORIES): CategoricalBinning {
  const counts = new Map<string, number>();
  for (const v of reference) counts.set(v, (counts.get(v) ?? 0) + 1);
  const categories = [...counts.entries()]
    .filter(([c]) => c !== OTHER)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([c]) => c);
  return { kind: 'categorical', categories };
}

/** Number of bins of a binning. */
export function binCount(b: Binning): number {
  return b.kind === 'numeric' ? b.edges.length + 1 : b.categories.length + 1;
}

/** Index of the numeric bin of x: the number of edges strictly below x (binary search). */
export function numericBinIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Cells of the lookup grid over [first edge, last edge] (see addNumeric). */
const GRID_CELLS = 2048;

/**
 * A lookup grid for numeric binning: the range of the edges cut into equal cells; per cell, the
 * number of edges in earlier cells and the (at most two) edges inside it. Exact, because the cell
 * of a value, floor((x − lo) × scale), is monotone in x: an edge in an earlier cell is below x, one
 * in a later cell is above, and the edges of x's own cell are compared directly. Undefined when
 * more than two edges share a cell (heavily clustered edges): then the plain count is used.
 */
function lookupGrid(e: Float64Array): { lo: number; hi: number; scale: number; base: Int32Array; t1: Float64Array; t2: Float64Array } | undefined {
  const lo = e[0] as number;
  const hi = e[e.length - 1] as number;
  const scale = GRID_CELLS / (hi - lo);
  if (!(scale > 0) || !Number.isFinite(scale)) return undefined;
  const base = new Int32Array(GRID_CELLS + 1);
  const t1 = new Float64Array(GRID_CELLS + 1).fill(Infinity);
  const t2 = new Float64Array(GRID_CELLS + 1).fill(Infinity);
  const cellOf = (v: number): number => Math.floor((v - lo) * scale);
  let j = 0;
  for (let c = 0; c <= GRID_CELLS; c++) {
    while (j < e.length && cellOf(e[j] as number) < c) j++;
    base[c] = j;
    let inCell = 0;
    for (let m = j; m < e.length && cellOf(e[m] as number) === c; m++) inCell++;
    if (inCell > 2) return undefined;
    if (inCell >= 1) t1[c] = e[j] as number;
    if (inCell === 2) t2[c] = e[j + 1] as number;
  }
  return { lo, hi, scale, base, t1, t2 };
}

/** Adds numeric values to bin counts (bin = number of edges strictly below the value; NaN → bin 0). */
export function addNumeric(edges: readonly number[], counts: Float64Array, values: ArrayLike<number>): void {
  const e = Float64Array.from(edges);
  const k = e.length;
  const grid = k > 0 ? lookupGrid(e) : undefined;
  if (grid !== undefined) {
    // About one multiply, one lookup and two compares a value, instead of a search over the edges.
    const { lo, hi, scale, base, t1, t2 } = grid;
    for (let i = 0; i < values.length; i++) {
      const x = values[i] as number;
      let b: number;
      if (x > hi) b = k;
      else if (x >= lo) {
        const c = Math.floor((x - lo) * scale);
        b = (base[c] as number) + +((t1[c] as number) < x) + +((t2[c] as number) < x);
      } else b = 0; // below the first edge, or NaN
      counts[b] = (counts[b] as number) + 1;
    }
    return;
  }
  if (k <= 16) {
    // Few edges: count the edges below x without branches (binary search mispredicts ~every step).
    for (let i = 0; i < values.length; i++) {
      const x = values[i] as number;
      let b = 0;
      for (let j = 0; j < k; j++) b += +((e[j] as number) < x);
      counts[b] = (counts[b] as number) + 1;
    }
    return;
  }
  for (let i = 0; i < values.length; i++) {
    const b = numericBinIndex(edges, values[i] as number);
    counts[b] = (counts[b] as number) + 1;
  }
}

/** A lookup from category to bin index (OTHER is the last index). */
export function categoryIndex(b: CategoricalBinning): (value: string) => number {
  const index = new Map(b.categories.map((c, i) => [c, i]));
  const other = b.categories.length;
  return (value) => index.get(value) ?? other;
}

/** Bin counts of values under a binning. */
export function histogram(b: Binning, values: ArrayLike<number> | readonly string[]): Float64Array {
  const counts = new Float64Array(binCount(b));
  if (b.kind === 'numeric') {
    addNumeric(b.edges, counts, values as ArrayLike<number>);
  } else {
    const idx = categoryIndex(b);
    for (const v of values as readonly string[]) {
      const i = idx(v);
      counts[i] = (counts[i] as number) + 1;
    }
  }
  return counts;
}
