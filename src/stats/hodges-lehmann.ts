/**
 * Order statistics of the Walsh differences {xᵢ − yⱼ} of two sorted samples without forming
 * the n·m of them, and the Hodges–Lehmann shift estimate and confidence interval built on them.
 *
 * Selection: a search on the value t with a two-pointer count of the pairs with xᵢ − yⱼ ≤ t
 * (O(n + m) per step, the differences being monotone in i and j, floating-point subtraction
 * included), interpolating the count linearly in t with a bisection fallback, until at most
 * max(256, (n + m)/8) pairs lie in the bracket; those are gathered and sorted. Cost
 * O((n + m)·passes + (n + m) log(n + m)), a handful of passes for smooth data, at most ~2 per
 * bit of the range by the bisection fallback.
 */

/** How many pairs (i, j) have xs[i] − ys[j] ≤ t (xs, ys ascending). */
function countAtMost(xs: Float64Array, ys: Float64Array, t: number): number {
  const n = ys.length;
  let p = 0;
  let count = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    // xs[i] − ys[j] falls as j rises; p = first j with a difference ≤ t, non-decreasing in i.
    while (p < n && x - (ys[p] as number) > t) p++;
    count += n - p;
  }
  return count;
}

/**
 * A selector of order statistics of the differences xs[i] − ys[j] (xs, ys ascending, finite).
 * Every count it makes is kept, so later selections start from the tightest bracket known.
 */
export function walshSelector(xs: Float64Array, ys: Float64Array): (k: number, count?: number) => Float64Array {
  const m = xs.length;
  const n = ys.length;
  const total = m * n;
  const gather = Math.max(256, Math.ceil((m + n) / 8));
  const probes: { t: number; c: number }[] = [
    { t: (xs[0] as number) - (ys[n - 1] as number), c: -1 },
    { t: (xs[m - 1] as number) - (ys[0] as number), c: total },
  ];
  (probes[0] as { c: number }).c = countAtMost(xs, ys, (probes[0] as { t: number }).t);
  /** The differences of ranks k … k + count − 1 (1-based, count 1 or 2), ascending. */
  return (k: number, count = 1): Float64Array => {
    const kTo = k + count - 1;
    if (!(Number.isInteger(k) && (count === 1 || count === 2) && k >= 1 && kTo <= total)) throw new Error(`walsh order statistic: ranks ${k} … ${kTo} are outside 1 … ${total}`);
    const first = probes[0] as { t: number; c: number };
    if (first.c >= kTo) return new Float64Array(count).fill(first.t);
    if (first.c >= k) return straddle(xs, ys, first.t);
    // Tightest bracket: the largest probe with fewer than k pairs ≤ t, the smallest with ≥ kTo.
    let lo = -Infinity;
    let cLo = 0;
    let hi = Infinity;
    let cHi = total;
    for (const p of probes) {
      if (p.c < k && p.t > lo) [lo, cLo] = [p.t, p.c];
      if (p.c >= kTo && p.t < hi) [hi, cHi] = [p.t, p.c];
    }
    let stalls = 0;
    while (cHi - cLo > gather) {
      // Interpolate the count linearly in t, aiming a third of the gather window past k on the
      // side that is further away, so both ends close in; bisect after two poor steps.
      const moveLo = k - cLo > cHi - kTo;
      const aim = moveLo ? k - gather / 3 : kTo + gather / 3;
      let t = lo + (hi - lo) * ((aim - cLo) / (cHi - cLo));
      if (stalls >= 2 || !(t > lo && t < hi)) t = lo / 2 + hi / 2;
      if (!(t > lo && t < hi)) return new Float64Array(count).fill(hi); // adjacent doubles: all in (lo, hi] are hi
      const c = countAtMost(xs, ys, t);
      probes.push({ t, c });
      const before = cHi - cLo;
      if (c >= kTo) [hi, cHi] = [t, c];
      else if (c < k) [lo, cLo] = [t, c];
      else return straddle(xs, ys, t); // count = 2 and exactly k pairs ≤ t: d₍ₖ₎ ≤ t < d₍ₖ₊₁₎
      stalls = cHi - cLo > before / 2 ? stalls + 1 : 0;
    }
    return gatherRanks(xs, ys, lo, hi, cLo, cHi, k, count);
  };
}

/** The largest difference ≤ t and the smallest one > t, in one pass. */
function straddle(xs: Float64Array, ys: Float64Array, t: number): Float64Array {
  const n = ys.length;
  let below = -Infinity;
  let above = Infinity;
  let p = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    while (p < n && x - (ys[p] as number) > t) p++;
    if (p < n) below = Math.max(below, x - (ys[p] as number));
    if (p > 0) above = Math.min(above, x - (ys[p - 1] as number));
  }
  return Float64Array.of(below, above);
}

/** The ranks k … k+count−1 from the differences in (lo, hi], which hold ranks cLo+1 … cHi. */
function gatherRanks(xs: Float64Array, ys: Float64Array, lo: number, hi: number, cLo: number, cHi: number, k: number, count: number): Float64Array {
  const m = xs.length;
  const n = ys.length;
  const cand = new Float64Array(cHi - cLo);
  let w = 0;
  let pHi = 0;
  let pLo = 0;
  for (let i = 0; i < m; i++) {
    const x = xs[i] as number;
    // For this i: j from the first with a difference ≤ hi up to the first with one ≤ lo.
    while (pHi < n && x - (ys[pHi] as number) > hi) pHi++;
    while (pLo < n && x - (ys[pLo] as number) > lo) pLo++;
    for (let j = pHi; j < pLo; j++) cand[w++] = x - (ys[j] as number);
  }
  cand.sort();
  return cand.slice(k - cLo - 1, k - cLo - 1 + count);
}

/** The k-th smallest (1-based) of the differences xs[i] − ys[j]; xs, ys ascending, finite. */
export function walshOrderStatistic(xs: Float64Array, ys: Float64Array, k: number): number {
  return walshSelector(xs, ys)(k)[0] as number;
}

/** The Hodges–Lehmann estimate of the shift x − y: the median of the Walsh differences. */
export function hodgesLehmannEstimate(xs: Float64Array, ys: Float64Array, select = walshSelector(xs, ys)): number {
  const total = xs.length * ys.length;
  if (total % 2 === 1) return select((total + 1) / 2)[0] as number;
  const pair = select(total / 2, 2);
  return (pair[0] as number) / 2 + (pair[1] as number) / 2;
}

/** Σ(t³ − t) over groups of equal values within one ascending sample. */
export function withinTieTerm(s: Float64Array): number {
  let term = 0;
  for (let i = 0; i < s.length; ) {
    let j = i + 1;
    while (j < s.length && s[j] === s[i]) j++;
    const t = j - i;
    if (t > 1) term += t * t * t - t;
    i = j;
  }
  return term;
}
