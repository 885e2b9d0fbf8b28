/**
 * Canary-analysis benchmark, in one run with scipy on identical data (written to a temp file as
 * float64; scipy is timed inside Python with time.perf_counter, loading excluded):
 *   MW        mannWhitneyU(canary, primary, 'greater') on 1e5 vs 1e5 latencies vs scipy mannwhitneyu;
 *   KS        ksTest of 1e5 vs 1e5 predictions (src/drift/ks.ts) vs scipy ks_2samp;
 *   analysis  one interval's analysis: the Kayenta judgement (which includes the Mann–Whitney
 *             'greater' p-value; its sorts are shared) plus the KS test of the predictions, vs
 *             scipy mannwhitneyu + ks_2samp (scipy has no Hodges–Lehmann interval).
 * Best of 3 runs each. Target ≤ 1× scipy; a miss prints MISS and never fails. The load average at
 * start is printed: the machine is shared and the numbers are noisy.
 * More cases: append a BenchCase to CASES (each measures and returns one row of the table).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../src/demo/prng.js';
import { ksTest } from '../src/drift/ks.js';
import { kayentaJudge } from '../src/stats/kayenta.js';
import { mannWhitneyU } from '../src/stats/mann-whitney.js';

const N = Number(process.env.CANARY_BENCH_N ?? 100_000);
const REPS = 3;

/** The data of one canary interval: latencies (ms) and predictions of both revisions. */
export interface IntervalData {
  canaryLatency: Float64Array;
  primaryLatency: Float64Array;
  canaryPrediction: Float64Array;
  primaryPrediction: Float64Array;
}

/** scipy's times (seconds, best of REPS) and p-values on the same data. */
export interface ScipyTimes {
  mw: number;
  ks: number;
  mwP: number;
  ksP: number;
}

/** One row of the table: case, modelslo, reference, ratio, target, PASS/MISS. */
export type Row = [string, string, string, string, string, string];

/** A benchmark case: measures on the shared data (and scipy's times) and returns its row. */
export interface BenchCase {
  name: string;
  measure(data: IntervalData, scipy: ScipyTimes, progress: (m: string) => void): Row;
}

/** n lognormal draws exp(mu + sigma·z), z by Box–Muller from the seeded PRNG. */
function lognormals(seed: number, n: number, mu: number, sigma: number): Float64Array {
  const r = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
  return out;
}

/** The benchmark's interval: the canary 3% slower, its predictions shifted slightly. */
export function intervalData(n: number): IntervalData {
  return {
    canaryLatency: lognormals(1, n, Math.log(41.2), 0.4),
    primaryLatency: lognormals(2, n, Math.log(40), 0.4),
    canaryPrediction: lognormals(3, n, -1.95, 0.5),
    primaryPrediction: lognormals(4, n, -2, 0.5),
  };
}

/** Best wall time of `reps` runs of fn, in seconds, and its last value. */
function best<T>(fn: () => T, reps = REPS): { s: number; value: T } {
  let s = Infinity;
  let value = fn();
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    value = fn();
    s = Math.min(s, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { s, value };
}

const SCIPY = `
import sys, json, time
import numpy as np
from scipy import stats
cl, pl, cp, pp = (np.fromfile(f, dtype=np.float64) for f in sys.argv[1:5])
def best(f):
    t, r = float('inf'), None
    for _ in range(${REPS}):
        t0 = time.perf_counter(); r = f(); t = min(t, time.perf_counter() - t0)
    return t, r
mw, m = best(lambda: stats.mannwhitneyu(cl, pl, alternative='greater'))
ks, k = best(lambda: stats.ks_2samp(pp, cp))
print(json.dumps({'mw': mw, 'ks': ks, 'mwP': float(m.pvalue), 'ksP': float(k.pvalue)}))
`;

function scipyTimes(d: IntervalData): ScipyTimes {
  const dir = mkdtempSync(join(tmpdir(), 'modelslo-bench-canary-'));
  try {
    const files = (['canaryLatency', 'primaryLatency', 'canaryPrediction', 'primaryPrediction'] as const).map((k) => {
      const f = join(dir, `${k}.bin`);
      writeFileSync(f, Buffer.from(d[k].buffer));
      return f;
    });
    const r = spawnSync('/usr/bin/python3', ['-c', SCIPY, ...files], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scipy failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as ScipyTimes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mark = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const size = N >= 1e5 && N % 1e5 === 0 ? `${N / 1e5 === 1 ? '' : `${N / 1e5}×`}1e5` : String(N);

/** The cases of the table, in order. */
export const CASES: BenchCase[] = [
  {
    name: 'Mann–Whitney',
    measure(d, py) {
      const mw = best(() => mannWhitneyU(d.canaryLatency, d.primaryLatency, { alternative: 'greater' }));
      return [`MW 'greater' ${size} vs ${size}`, `${mw.s.toFixed(4)} s`, `scipy ${py.mw.toFixed(4)} s`, `${(mw.s / py.mw).toFixed(2)}×`, '≤ 1.0× scipy', mark(mw.s <= py.mw)];
    },
  },
  {
    name: 'KS',
    measure(d, py) {
      const ks = best(() => ksTest(d.primaryPrediction, d.canaryPrediction));
      return [`KS predictions ${size} vs ${size}`, `${ks.s.toFixed(4)} s`, `scipy ${py.ks.toFixed(4)} s`, `${(ks.s / py.ks).toFixed(2)}×`, '≤ 1.0× scipy', mark(ks.s <= py.ks)];
    },
  },
  {
    name: 'one analysis',
    measure(d, py, progress) {
      const a = best(() => ({ judge: kayentaJudge(d.canaryLatency, d.primaryLatency), ks: ksTest(d.primaryPrediction, d.canaryPrediction) }));
      const ref = py.mw + py.ks;
      const j = a.value.judge;
      progress(`judgement ${j.classification}: shift ${j.estimate?.toFixed(3)} ms in [${j.lowerConfidence?.toFixed(3)}, ${j.upperConfidence?.toFixed(3)}], MW p ${j.pValue.toExponential(4)} (scipy ${py.mwP.toExponential(4)}), KS p ${a.value.ks.pValue.toExponential(4)} (scipy ${py.ksP.toExponential(4)})`);
      return ['one analysis: Kayenta (with MW) + KS', `${a.s.toFixed(4)} s`, `scipy MW + KS ${ref.toFixed(4)} s`, `${(a.s / ref).toFixed(2)}×`, '≤ 1.0× scipy', mark(a.s <= ref)];
    },
  },
];

/** Runs the benchmark; returns the table. */
export function run(progress: (m: string) => void): Promise<string> {
  return Promise.resolve().then(() => measure(progress));
}

function measure(progress: (m: string) => void): string {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  progress(`load average at start: ${load}`);
  progress(`generating ${N} latencies and predictions per revision`);
  const data = intervalData(N);
  progress('scipy mannwhitneyu and ks_2samp');
  const py = scipyTimes(data);
  const rows = CASES.map((c) => {
    progress(c.name);
    return c.measure(data, py, progress);
  });
  const head: Row = ['case', 'modelslo', 'reference', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Row): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [`load average at start: ${load}`, line(head), ...rows.map(line), `(best of ${REPS} runs each; scipy timed in Python with time.perf_counter, loading excluded)`].join('\n');
}
