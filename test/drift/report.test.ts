/** The automatic test choice, corrections, levels and the dataset verdict. */
import { describe, expect, it } from 'vitest';
import { adjustPValues, driftReport } from '../../src/drift/report.js';
import { normals } from './datasets.js';

describe('automatic test choice', () => {
  it.each([
    ['a small numeric feature gets KS', 'numeric', normals(1, 500), 'ks', 'numeric'],
    ['a large numeric feature gets normed Wasserstein', 'numeric', normals(2, 1500), 'wasserstein', 'numeric'],
    ['a numeric feature with 3 distinct values is categorical (χ²)', 'numeric', normals(3, 500).map((x) => Math.sign(x)), 'chi_square', 'categorical'],
    ['a large categorical feature gets Jensen–Shannon', 'categorical', Array.from({ length: 2000 }, (_, i) => `c${i % 4}`), 'jensen_shannon', 'categorical'],
  ] as const)('%s', (_n, kind, ref, test, effective) => {
    const r = driftReport([{ name: 'x', kind, reference: ref, current: ref.slice(0, 100) }]);
    expect(r.features[0]!.test).toBe(test);
    expect(r.features[0]!.kind).toBe(effective);
  });
  it('an override wins', () => {
    const r = driftReport([{ name: 'x', kind: 'numeric', reference: normals(4, 200), current: normals(5, 200), test: 'psi' }]);
    expect(r.features[0]!.test).toBe('psi');
  });
});

describe('corrections and verdict', () => {
  it('Bonferroni multiplies by m; Benjamini–Hochberg is p·m/rank made monotone', () => {
    expect(adjustPValues([0.01, 0.04, 0.5], 'bonferroni')).toEqual([0.03, 0.12, 1]);
    // ranks 1,2,3 → 0.01·3/1 = 0.03, 0.04·3/2 = 0.06, 0.5·3/3 = 0.5
    const bh = adjustPValues([0.04, 0.01, 0.5], 'benjamini-hochberg');
    expect(bh[0]).toBeCloseTo(0.06, 15);
    expect(bh[1]).toBeCloseTo(0.03, 15);
    expect(bh[2]).toBeCloseTo(0.5, 15);
    // monotone: 0.02·2/1 = 0.04 > 0.021·2/2 = 0.021 → both 0.021
    expect(adjustPValues([0.02, 0.021], 'benjamini-hochberg')).toEqual([0.021, 0.021]);
  });
  it('an empty column is insufficient, not NaN, and is not counted in the share', () => {
    const r = driftReport([
      { name: 'empty', kind: 'numeric', reference: normals(6, 100), current: [] },
      { name: 'moved', kind: 'numeric', reference: normals(7, 300), current: normals(8, 300, 2) },
    ]);
    expect(r.features[0]).toMatchObject({ level: 'insufficient', score: null });
    expect(r.features[1]!.level).toBe('drift');
    expect(r.driftShare).toBe(1);
    expect(r.level).toBe('drift');
  });
  it('the dataset drifts only when more than the share of features drift', () => {
    const same = { kind: 'numeric' as const, reference: normals(9, 300), current: normals(10, 300) };
    const moved = { kind: 'numeric' as const, reference: normals(11, 300), current: normals(12, 300, 2) };
    const half = driftReport([{ name: 'a', ...same }, { name: 'b', ...moved }]);
    expect(half.driftShare).toBe(0.5);
    expect(half.level).toBe('warn');
    expect(driftReport([{ name: 'a', ...same }, { name: 'b', ...moved }], { driftShare: 0.4 }).level).toBe('drift');
  });
});
