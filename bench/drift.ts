/**
 * Drift benchmark, in one run with scipy on identical data (written to a temp file as float64):
 *   KS      ksTest on 1e6 vs 1e6 normals vs scipy ks_2samp (and vs two Float64Array sorts);
 *   W1      wasserstein on the same data vs scipy wasserstein_distance;
 *   binned  histogram + PSI + JS + χ² of 1e6 values vs an O(n) summing loop over the same data;
 *   report  driftReport of ROWS rows × 100 numeric features (scaled down from 1e6 rows; the time
 *           is extrapolated linearly in rows, which the O(n log n) sorts make slightly optimistic);
 *   sketch  DDSketch updates per second (addToWindow on a numeric window).
 * Targets from issue 5; a miss prints MISS and never fails. The machine is shared: numbers are noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { histogram, numericBinning } from '../src/drift/bins.js';
import { chiSquareHomogeneity } from '../src/drift/chi-square.js';
import { jensenShannon, psi, wassersteinSorted } from '../src/drift/distances.js';
import { ksTest, sortedCopy } from '../src/drift/ks.js';
import { driftReport } from '../src/drift/report.js';
import { buildProfile } from '../src/drift/profile.js';
import { addToWindow, emptyWindow } from '../src/drift/window-state.js';

const N = 1_000_000;
const REPORT_ROWS = Number(process.env.DRIFT_BENCH_ROWS ?? 100_000);
const FEATURES = 100;

function normals(seed: number, n: number, mu: number): Float64Array {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

function time<T>(fn: () => T, reps = 3): { s: number; value: T } {
  let best = Infinity;
  let value!: T;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    value = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { s: best, value };
}

function scipyTimes(a: Float64Array, b: Float64Array): { ks: number; w: number; ksP: number } {
  const dir = mkdtempSync(join(tmpdir(), 'modelslo-bench-'));
  try {
    writeFileSync(join(dir, 'a.bin'), Buffer.from(a.buffer));
    writeFileSync(join(dir, 'b.bin'), Buffer.from(b.buffer));
    const script = `
import numpy as np, time, json, sys
from scipy import stats
a = np.fromfile(sys.argv[1], dtype=np.float64); b = np.fromfile(sys.argv[2], dtype=np.float64)
def best(f):
    t = []
    for _ in range(3):
        t0 = time.perf_counter(); r = f(); t.append(time.perf_counter() - t0)
    return min(t), r
ks, r = best(lambda: stats.ks_2samp(a, b))
w, _ = best(lambda: stats.wasserstein_distance(a, b))
print(json.dumps({'ks': ks, 'w': w, 'ksP': float(r.pvalue)}))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, join(dir, 'a.bin'), join(dir, 'b.bin')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scipy failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { ks: number; w: number; ksP: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mark = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

/** Runs the benchmark; returns the table. */
export function run(progress: (m: string) => void): Promise<string> {
  return Promise.resolve().then(() => measure(progress));
}

function measure(progress: (m: string) => void): string {
  progress('generating 2 × 1e6 values');
  const a = normals(1, N, 0);
  const b = normals(2, N, 0.01);
  progress('scipy ks_2samp and wasserstein_distance');
  const py = scipyTimes(a, b);
  progress('KS, W1, sorts');
  const sorts = time(() => sortedCopy(a).length + sortedCopy(b).length);
  const ks = time(() => ksTest(a, b));
  const w = time(() => wassersteinSorted(sortedCopy(a), sortedCopy(b)));
  progress('binned tests');
  const binning = numericBinning(sortedCopy(a));
  const refCounts = histogram(binning, a);
  const binned = time(() => {
    const cur = histogram(binning, b);
    return psi(refCounts, cur) + jensenShannon(refCounts, cur) + chiSquareHomogeneity(refCounts, cur).statistic;
  });
  const loop = time(() => {
    let s = 0;
    for (let i = 0; i < b.length; i++) s += b[i] as number;
    return s;
  });
  progress(`report of ${REPORT_ROWS} rows × ${FEATURES} features`);
  const cols = Array.from({ length: FEATURES }, (_, f) => ({ ref: normals(100 + f, REPORT_ROWS, 0), cur: normals(1000 + f, REPORT_ROWS, f % 10 === 0 ? 0.2 : 0) }));
  const report = time(() => driftReport(cols.map((c, f) => ({ name: `f${f}`, kind: 'numeric' as const, reference: c.ref, current: c.cur }))), 1);
  const reportFull = report.s * (1_000_000 / REPORT_ROWS);
  progress('sketch updates');
  const profile = buildProfile('x', 'numeric', a.subarray(0, 100_000));
  const sketch = time(() => {
    const win = emptyWindow(profile.binning);
    addToWindow(profile.binning, win, b);
    return win;
  });
  const rate = N / sketch.s;
  const rows: string[][] = [
    ['KS 1e6 vs 1e6', `${ks.s.toFixed(3)} s`, `scipy ${py.ks.toFixed(3)} s`, `${(ks.s / py.ks).toFixed(2)}× (${(ks.s / sorts.s).toFixed(2)}× two sorts of ${sorts.s.toFixed(3)} s)`, '≤ 1.0× scipy', mark(ks.s <= py.ks)],
    ['W1 1e6 vs 1e6', `${w.s.toFixed(3)} s`, `scipy ${py.w.toFixed(3)} s`, `${(w.s / py.w).toFixed(2)}×`, '≤ 1.0× scipy', mark(w.s <= py.w)],
    ['PSI+JS+χ² 1e6', `${binned.s.toFixed(4)} s`, `sum loop ${loop.s.toFixed(4)} s`, `${(binned.s / loop.s).toFixed(2)}×`, '≤ 3× loop', mark(binned.s <= 3 * loop.s)],
    [`report ${REPORT_ROWS}×${FEATURES}`, `${report.s.toFixed(2)} s`, `→ 1e6 rows ≈ ${reportFull.toFixed(1)} s`, `${report.value.features.filter((f) => f.level === 'drift').length} drifting`, '≤ 60 s at 1e6', mark(reportFull <= 60)],
    ['sketch update', `${(rate / 1e6).toFixed(1)} M values/s`, '', '', '≥ 10 M/s', mark(rate >= 10e6)],
  ];
  const head = ['case', 'modelslo', 'reference', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(head), ...rows.map(line), `(KS p-value: modelslo ${ks.value.pValue.toExponential(4)}, scipy ${py.ksP.toExponential(4)}; best of 3 runs each, report once)`].join('\n');
}
