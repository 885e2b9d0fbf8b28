/** Seeded generated data sets for the scipy comparisons: sizes, ties, shifts, constant columns. */
import { mulberry32 } from '../../src/demo/prng.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export const rng = mulberry32;

/** n normal draws (Box–Muller) with mean mu and sd sigma, optionally rounded to `digits` (ties). */
export function normals(seed: number, n: number, mu = 0, sigma = 1, digits?: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  while (out.length < n) {
    const u = 1 - r();
    const v = r();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const x = mu + sigma * z;
    out.push(digits === undefined ? x : Number(x.toFixed(digits)));
  }
  return out;
}

/** A named pair of numeric samples. */
export interface NumericCase {
  name: string;
  ref: number[];
  cur: number[];
}

/** At least 20 numeric cases: tiny, ties, one-sided shifts, constant, unequal sizes, large (asymptotic). */
export function numericCases(): NumericCase[] {
  return [
    { name: 'tiny 1 vs 1', ref: [0.5], cur: [1.5] },
    { name: 'tiny 2 vs 3', ref: normals(1, 2), cur: normals(2, 3) },
    { name: 'tiny 5 vs 4 shifted', ref: normals(3, 5), cur: normals(4, 4, 2) },
    { name: 'equal sizes 50, no shift', ref: normals(5, 50), cur: normals(6, 50) },
    { name: 'equal sizes 200, shift +0.5', ref: normals(7, 200), cur: normals(8, 200, 0.5) },
    { name: 'unequal 300 vs 170, shift +0.3', ref: normals(9, 300), cur: normals(10, 170, 0.3) },
    { name: 'one-sided: current all above reference', ref: normals(11, 40), cur: normals(12, 30, 10) },
    { name: 'one-sided: current all below reference', ref: normals(13, 60), cur: normals(14, 45, -10) },
    { name: 'heavy ties (1 digit)', ref: normals(15, 400, 0, 1, 1), cur: normals(16, 300, 0.1, 1, 1) },
    { name: 'integer ties', ref: normals(17, 500, 3, 2, 0), cur: normals(18, 350, 3, 2, 0) },
    { name: 'both constant, same value', ref: Array<number>(30).fill(2), cur: Array<number>(20).fill(2) },
    { name: 'both constant, different values', ref: Array<number>(30).fill(2), cur: Array<number>(20).fill(3) },
    { name: 'constant reference, varying current', ref: Array<number>(50).fill(0), cur: normals(19, 40) },
    { name: 'scale change 1000 vs 1000', ref: normals(20, 1000), cur: normals(21, 1000, 0, 1.3) },
    { name: 'unequal 2000 vs 999 small shift', ref: normals(22, 2000), cur: normals(23, 999, 0.05) },
    { name: 'max exact size 10000 vs 7000', ref: normals(24, 10000), cur: normals(25, 7000, 0.02) },
    { name: 'asymptotic 12000 vs 300 (n>140)', ref: normals(26, 12000), cur: normals(27, 300, 0.1) },
    { name: 'asymptotic 20000 vs 60 (n<=140)', ref: normals(28, 20000), cur: normals(29, 60, 0.2) },
    { name: 'asymptotic 15000 vs 40 strong shift', ref: normals(30, 15000), cur: normals(31, 40, 1.5) },
    { name: 'asymptotic 30000 vs 25000 no shift', ref: normals(32, 30000), cur: normals(33, 25000) },
    { name: 'asymptotic 30000 vs 20000 shift', ref: normals(34, 30000), cur: normals(35, 20000, 0.04) },
    { name: 'asymptotic 11000 vs 11000 large shift', ref: normals(36, 11000), cur: normals(37, 11000, 0.3) },
    { name: 'asymptotic 50000 vs 12 tiny current', ref: normals(38, 50000), cur: normals(39, 12, 0.3) },
    { name: 'asymptotic 40000 vs 100 moderate', ref: normals(40, 40000), cur: normals(41, 100, 0.25) },
  ];
}
