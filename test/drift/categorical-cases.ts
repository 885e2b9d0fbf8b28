/** Seeded categorical data sets for the scipy comparisons, including unseen categories. */
import { rng } from './datasets.js';

/** n draws from categories with the given weights. */
export function draws(seed: number, n: number, categories: readonly string[], weights: readonly number[]): string[] {
  const r = rng(seed);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let u = r() * total;
    let k = 0;
    while (k < categories.length - 1 && u >= (weights[k] as number)) u -= weights[k++] as number;
    out.push(categories[k] as string);
  }
  return out;
}

/** A named pair of categorical samples. */
export interface CategoricalCase {
  name: string;
  ref: string[];
  cur: string[];
}

const ABC = ['a', 'b', 'c'];
const MANY = Array.from({ length: 12 }, (_, i) => `c${i}`);

/** At least 20 categorical cases. */
export function categoricalCases(): CategoricalCase[] {
  return [
    { name: 'same weights 100 vs 80', ref: draws(1, 100, ABC, [1, 1, 1]), cur: draws(2, 80, ABC, [1, 1, 1]) },
    { name: 'shifted weights', ref: draws(3, 500, ABC, [5, 3, 2]), cur: draws(4, 400, ABC, [2, 3, 5]) },
    { name: 'unseen category in current', ref: draws(5, 300, ABC, [1, 1, 1]), cur: [...draws(6, 250, ABC, [1, 1, 1]), ...Array<string>(30).fill('zz')] },
    { name: 'only unseen categories in current', ref: draws(7, 50, ABC, [1, 2, 3]), cur: ['x', 'y', 'x', 'z'] },
    { name: 'category missing from current', ref: draws(8, 200, ABC, [1, 1, 1]), cur: draws(9, 150, ['a', 'b'], [1, 1]) },
    { name: 'tiny 1 vs 1 same', ref: ['a'], cur: ['a'] },
    { name: 'tiny 1 vs 1 different', ref: ['a'], cur: ['b'] },
    { name: 'tiny 3 vs 2', ref: ['a', 'b', 'a'], cur: ['b', 'b'] },
    { name: 'constant both same', ref: Array<string>(40).fill('k'), cur: Array<string>(25).fill('k') },
    { name: 'constant both different', ref: Array<string>(40).fill('k'), cur: Array<string>(25).fill('j') },
    { name: 'binary balanced vs skewed', ref: draws(10, 1000, ['0', '1'], [1, 1]), cur: draws(11, 1000, ['0', '1'], [3, 7]) },
    { name: 'many categories no shift', ref: draws(12, 3000, MANY, MANY.map((_, i) => i + 1)), cur: draws(13, 2000, MANY, MANY.map((_, i) => i + 1)) },
    { name: 'many categories reversed', ref: draws(14, 3000, MANY, MANY.map((_, i) => i + 1)), cur: draws(15, 2000, MANY, MANY.map((_, i) => 12 - i)) },
    { name: 'rare categories', ref: draws(16, 800, MANY, MANY.map((_, i) => (i < 2 ? 100 : 1))), cur: draws(17, 700, MANY, MANY.map((_, i) => (i < 2 ? 100 : 1))) },
    { name: 'small shift large n', ref: draws(18, 20000, ABC, [0.5, 0.3, 0.2]), cur: draws(19, 20000, ABC, [0.49, 0.31, 0.2]) },
    { name: 'one-sided: all mass moves to one category', ref: draws(20, 600, ABC, [1, 1, 1]), cur: Array<string>(100).fill('c') },
    { name: 'unequal sizes 50 vs 5000', ref: draws(21, 50, ABC, [1, 1, 1]), cur: draws(22, 5000, ABC, [1, 1, 2]) },
    { name: 'numeric-like labels', ref: draws(23, 400, ['1', '2', '3', '4'], [4, 3, 2, 1]), cur: draws(24, 400, ['1', '2', '3', '4', '5'], [1, 2, 3, 4, 1]) },
    { name: 'two categories, one unseen', ref: draws(25, 100, ['p'], [1]), cur: draws(26, 100, ['p', 'q'], [1, 1]) },
    { name: 'strong shift many categories', ref: draws(27, 900, MANY, MANY.map(() => 1)), cur: draws(28, 900, MANY, MANY.map((_, i) => (i === 0 ? 20 : 1))) },
  ];
}
