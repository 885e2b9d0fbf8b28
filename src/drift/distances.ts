/**
 * Distances between two binned distributions (counts on the same bins) and between two samples
 * (Wasserstein-1). Definitions, each matching the scipy function named:
 *  - PSI  Σ (q_i − p_i)·ln(q_i/p_i), p reference and q current shares, a share of 0 replaced by
 *         PSI_EPSILON (1e-4, as Evidently does; not renormalised) so empty bins stay finite;
 *  - JS   Jensen–Shannon distance, natural log: √((KL(p‖m) + KL(q‖m))/2), m = (p+q)/2
 *         (scipy.spatial.distance.jensenshannon, base e); in [0, √ln2];
 *  - Hellinger  √(½·Σ(√p_i − √q_i)²) (no cancellation near 0, unlike √(1 − Σ√(p q))); in [0, 1];
 *  - L∞   max |p_i − q_i| (categorical);
 *  - W1   ∫|F_ref − F_cur| dx over the empirical CDFs (scipy.stats.wasserstein_distance).
 */

/** Share that replaces an empty bin in PSI. */
export const PSI_EPSILON = 1e-4;

function total(c: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i] as number;
  return s;
}

/** Population stability index of current vs reference counts on the same bins. */
export function psi(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  const nr = total(refCounts);
  const nc = total(curCounts);
  let s = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const p = Math.max((refCounts[i] as number) / nr, PSI_EPSILON);
    const q = Math.max((curCounts[i] as number) / nc, PSI_EPSILON);
    s += (q - p) * Math.log(q / p);
  }
  return s;
}

/** x·ln(x/y) with 0·ln(0/y) = 0 (scipy.special.rel_entr for x, y ≥ 0, y > 0 when x > 0). */
function relEntr(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/** Jensen–Shannon distance (natural log) between the normalised counts. */
export function jensenShannon(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  const nr = total(refCounts);
  const nc = total(curCounts);
  let s = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const p = (refCounts[i] as number) / nr;
    const q = (curCounts[i] as number) / nc;
    const m = (p + q) / 2;
    s += relEntr(p, m) + relEntr(q, m);
  }
  return Math.sqrt(Math.max(0, s / 2));
}

/** Hellinger distance between the normalised counts. */
export function hellinger(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  const nr = total(refCounts);
  const nc = total(curCounts);
  let s = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const d = Math.sqrt((refCounts[i] as number) / nr) - Math.sqrt((curCounts[i] as number) / nc);
    s += d * d;
  }
  return Math.sqrt(s / 2);
}

/** Largest absolute difference of shares (L∞). */
export function lInfinity(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  const nr = total(refCounts);
  const nc = total(curCounts);
  let m = 0;
  for (let i = 0; i < refCounts.length; i++) m = Math.max(m, Math.abs((refCounts[i] as number) / nr - (curCounts[i] as number) / nc));
  return m;
}

/**
 * Wasserstein-1 distance of two ascending-sorted non-empty samples: Σ |F_a(x_k) − F_b(x_k)|·(x_{k+1} − x_k)
 * over the merged support, the empirical CDFs evaluated right-continuously (as scipy does).
 */
export function wassersteinSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let prev = Math.min(a[0] as number, b[0] as number);
  while (i < n1 || j < n2) {
    const va = i < n1 ? (a[i] as number) : Infinity;
    const vb = j < n2 ? (b[j] as number) : Infinity;
    const v = va <= vb ? va : vb;
    sum += Math.abs(i / n1 - j / n2) * (v - prev);
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    prev = v;
  }
  return sum;
}

/** Wasserstein-1 between weighted discrete distributions: ascending support points and weights. */
export function wassersteinWeighted(xa: ArrayLike<number>, wa: ArrayLike<number>, xb: ArrayLike<number>, wb: ArrayLike<number>): number {
  const ta = total(wa);
  const tb = total(wb);
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let sum = 0;
  let prev = Math.min(xa[0] ?? Infinity, xb[0] ?? Infinity);
  while (i < xa.length || j < xb.length) {
    const va = i < xa.length ? (xa[i] as number) : Infinity;
    const vb = j < xb.length ? (xb[j] as number) : Infinity;
    const v = va <= vb ? va : vb;
    sum += Math.abs(ca / ta - cb / tb) * (v - prev);
    while (i < xa.length && xa[i] === v) ca += wa[i++] as number;
    while (j < xb.length && xb[j] === v) cb += wb[j++] as number;
    prev = v;
  }
  return sum;
}
