/**
 * Every statistic against scipy 1.10 on the same seeded data (one Python process for the file):
 * ks_2samp (auto), kstwo.sf, wasserstein_distance (raw and normed by np.std), chi2_contingency
 * (correction=False) on the 2×k table, jensenshannon (base e), Hellinger (as the Euclidean distance
 * of square roots / √2), PSI and L∞ (numpy), on bins computed in numpy from the reference.
 * The bins are computed independently in numpy (np.quantile, np.unique, np.searchsorted) and
 * compared too. Tolerance: 1e-9 relative.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { categoricalBinning, histogram, numericBinning } from '../../src/drift/bins.js';
import { chiSquareHomogeneity } from '../../src/drift/chi-square.js';
import { hellinger, jensenShannon, lInfinity, psi, wassersteinSorted } from '../../src/drift/distances.js';
import { normedWasserstein, stdDev } from '../../src/drift/feature.js';
import { kolmogorovSf } from '../../src/drift/kolmogorov.js';
import { ksTest, sortedCopy } from '../../src/drift/ks.js';
import { relErr, runScipy } from '../support/scipy.js';
import { categoricalCases } from './categorical-cases.js';
import { numericCases } from './datasets.js';

const TOL = 1e-9;

const SCRIPT = String.raw`
import numpy as np
from scipy import stats
from scipy.spatial import distance

def binned(ref, cur):
    ref = np.asarray(ref, dtype=float); cur = np.asarray(cur, dtype=float)
    p, q = ref / ref.sum(), cur / cur.sum()
    eps = 1e-4
    pe, qe = np.maximum(p, eps), np.maximum(q, eps)
    cols = (ref + cur) > 0
    table = np.array([ref[cols], cur[cols]])
    if table.shape[1] > 1:
        c = stats.chi2_contingency(table, correction=False)
        chi, pv, dof = float(c[0]), float(c[1]), int(c[2])
    else:
        chi, pv, dof = 0.0, 1.0, 0
    return {
        'psi': float(np.sum((qe - pe) * np.log(qe / pe))),
        'js': float(distance.jensenshannon(p, q)),
        'hellinger': float(distance.euclidean(np.sqrt(p), np.sqrt(q)) / np.sqrt(2)),
        'linf': float(np.max(np.abs(p - q))),
        'chi2': chi, 'chi2_p': pv, 'dof': dof,
    }

def numeric(c):
    ref = np.asarray(c['ref'], dtype=float); cur = np.asarray(c['cur'], dtype=float)
    ks = stats.ks_2samp(ref, cur)
    w = stats.wasserstein_distance(ref, cur)
    sd = float(np.std(ref))
    edges = np.unique(np.quantile(ref, [k / 10 for k in range(1, 10)]))
    rc = np.bincount(np.searchsorted(edges, ref, side='left'), minlength=len(edges) + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side='left'), minlength=len(edges) + 1)
    out = {'ks': float(ks.statistic), 'ks_p': float(ks.pvalue), 'w': float(w), 'wn': float(w / (sd if sd > 0 else 1.0)),
           'edges': edges.tolist(), 'rc': rc.tolist(), 'cc': cc.tolist()}
    out.update(binned(rc, cc))
    return out

def categorical(c):
    # bins: reference categories by count desc then name, then one OTHER bin for the rest
    vals, counts = np.unique(np.asarray(c['ref']), return_counts=True)
    order = sorted(zip(vals.tolist(), counts.tolist()), key=lambda t: (-t[1], t[0]))
    cats = [v for v, _ in order]
    idx = {v: i for i, v in enumerate(cats)}
    rc = np.zeros(len(cats) + 1); cc = np.zeros(len(cats) + 1)
    for v in c['ref']: rc[idx.get(v, len(cats))] += 1
    for v in c['cur']: cc[idx.get(v, len(cats))] += 1
    out = {'cats': cats, 'rc': rc.tolist(), 'cc': cc.tolist()}
    out.update(binned(rc, cc))
    return out

def main(data):
    return {
        'numeric': [numeric(c) for c in data['numeric']],
        'categorical': [categorical(c) for c in data['categorical']],
        'kstwo': [float(stats.kstwo.sf(x, n)) for n, x in data['kstwo']],
    }
`;

interface BinnedPy {
  psi: number;
  js: number;
  hellinger: number;
  linf: number;
  chi2: number;
  chi2_p: number;
  dof: number;
  rc: number[];
  cc: number[];
}
interface NumericPy extends BinnedPy {
  ks: number;
  ks_p: number;
  w: number;
  wn: number;
  edges: number[];
}
interface CategoricalPy extends BinnedPy {
  cats: string[];
}
interface Oracle {
  numeric: NumericPy[];
  categorical: CategoricalPy[];
  kstwo: number[];
}

const numeric = numericCases();
const categorical = categoricalCases();
const kstwoGrid: Array<[number, number]> = [];
for (const n of [1, 3, 20, 60, 140, 141, 500, 5000, 100_000, 1_000_000]) {
  for (const z of [0.2, 0.5, 0.8, 1.0, 1.3, 2, 3, 6, 12]) kstwoGrid.push([n, Math.min(0.999, z / Math.sqrt(n))]);
}
let oracle: Oracle;
let worst = { err: 0, what: '' };

function close(actual: number, expected: number, what: string): void {
  const e = relErr(actual, expected);
  if (e > worst.err) worst = { err: e, what };
  expect(e, `${what}: ${actual} vs scipy ${expected}`).toBeLessThanOrEqual(TOL);
}

function binnedAgree(name: string, rc: Float64Array, cc: Float64Array, py: BinnedPy): void {
  expect(Array.from(rc)).toEqual(py.rc);
  expect(Array.from(cc)).toEqual(py.cc);
  close(psi(rc, cc), py.psi, `${name} psi`);
  close(jensenShannon(rc, cc), py.js, `${name} js`);
  close(hellinger(rc, cc), py.hellinger, `${name} hellinger`);
  close(lInfinity(rc, cc), py.linf, `${name} linf`);
  const chi = chiSquareHomogeneity(rc, cc);
  expect(chi.dof).toBe(py.dof);
  close(chi.statistic, py.chi2, `${name} chi2`);
  close(chi.pValue, py.chi2_p, `${name} chi2 p`);
}

beforeAll(async () => {
  oracle = await runScipy<Oracle>(SCRIPT, { numeric, categorical, kstwo: kstwoGrid });
}, 60_000);

describe('numeric statistics equal scipy to 1e-9 relative', () => {
  it.each(numeric.map((c, i) => [c.name, i] as const))('%s', (name, i) => {
    const c = numeric[i]!;
    const py = oracle.numeric[i]!;
    const ks = ksTest(c.ref, c.cur);
    close(ks.statistic, py.ks, `${name} ks D`);
    close(ks.pValue, py.ks_p, `${name} ks p (${ks.method})`);
    const rs = sortedCopy(c.ref);
    const w = wassersteinSorted(rs, sortedCopy(c.cur));
    close(w, py.w, `${name} wasserstein`);
    close(normedWasserstein(w, stdDev(rs)), py.wn, `${name} wasserstein normed`);
    const binning = numericBinning(rs);
    expect(binning.edges).toEqual(py.edges);
    binnedAgree(name, histogram(binning, rs), histogram(binning, c.cur), py);
  });
});

describe('categorical statistics equal scipy to 1e-9 relative', () => {
  it.each(categorical.map((c, i) => [c.name, i] as const))('%s', (name, i) => {
    const c = categorical[i]!;
    const py = oracle.categorical[i]!;
    const binning = categoricalBinning(c.ref);
    expect(binning.categories).toEqual(py.cats);
    binnedAgree(name, histogram(binning, c.ref), histogram(binning, c.cur), py);
  });
});

describe('the Kolmogorov distribution equals scipy.stats.kstwo.sf', () => {
  it('on a grid of n from 1 to 1e6 and x from the centre to the far tail', () => {
    kstwoGrid.forEach(([n, x], i) => close(kolmogorovSf(n, x), oracle.kstwo[i]!, `kstwo.sf(${x}, ${n})`));
    console.log(`max relative error vs scipy: ${worst.err.toExponential(2)} (${worst.what})`);
  });
});
