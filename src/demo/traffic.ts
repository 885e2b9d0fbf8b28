/**
 * The demo's clients: KServe V2 inference requests of the fraud-detector's features (amount,
 * country) sent through the sidecars, split across revisions as the InferenceService's traffic
 * status says (as Knative would), at a steady rate. A shape sets the inputs and what the predictor
 * is told to do (answer 500, answer slowly) through the toy server's per-request knobs.
 */
import { DEMO_MODEL } from './demo-config.js';

/** What a phase of traffic looks like. */
export interface TrafficShape {
  amountScale: number;
  countries: Array<[string, number]>;
  /** Share of requests the predictor answers with 500. */
  errorShare: number;
  /** Share of requests the predictor answers after `slowMs`. */
  slowShare: number;
  slowMs: number;
}

const COUNTRIES: Array<[string, number]> = [['NL', 0.4], ['DE', 0.3], ['FR', 0.2], ['US', 0.1]];
/** The reference's distribution, all answered well. */
export const HEALTHY: TrafficShape = { amountScale: 1, countries: COUNTRIES, errorShare: 0, slowShare: 0, slowMs: 0 };
/** An incident: 5xx answers and answers slower than the latency SLO's 200 ms. */
export const INCIDENT: TrafficShape = { amountScale: 1, countries: COUNTRIES, errorShare: 0.1, slowShare: 0.1, slowMs: 300 };
/** Input drift: larger amounts, mostly from the US, answered well. */
export const DRIFTED: TrafficShape = { amountScale: 4, countries: [['US', 0.7], ['NL', 0.3]], errorShare: 0, slowShare: 0, slowMs: 0 };

/** Counts of what was sent, for the summary and the checks. */
export interface TrafficStats {
  sent: number;
  failed: number;
  byRevision: Record<string, number>;
}

/** How to send one phase. */
export interface DriveOptions {
  /** Sidecar URL by revision. */
  sidecars: ReadonlyMap<string, string>;
  /** The current traffic split, revision → percent (re-read every 50 requests). */
  split: () => ReadonlyMap<string, number>;
  shape: TrafficShape;
  rps: number;
  durationMs: number;
  /** Stops early when this holds (checked before every request). */
  until?: () => boolean;
  signal?: AbortSignal;
  rnd: () => number;
  stats: TrafficStats;
}

const CONCURRENCY = 6;

function pick<T>(entries: Iterable<[T, number]>, u: number): T | undefined {
  let first: T | undefined;
  for (const [v, w] of entries) {
    first ??= v;
    if ((u -= w) < 0) return v;
  }
  return first;
}

function requestOf(shape: TrafficShape, rnd: () => number): { headers: Record<string, string>; body: string } {
  // Amounts are log-normal like the reference's; Box–Muller turns two uniforms into a normal.
  const normal = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const amount = Math.round(Math.exp(3.6 + 0.6 * normal) * shape.amountScale * 100) / 100;
  const country = pick(shape.countries, rnd()) ?? 'NL';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const roll = rnd();
  if (roll < shape.errorShare) headers['x-test-status'] = '500';
  else if (roll < shape.errorShare + shape.slowShare) headers['x-test-delay-ms'] = String(shape.slowMs);
  const body = JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP32', shape: [1], data: [amount] }, { name: 'country', datatype: 'BYTES', shape: [1], data: [country] }] });
  return { headers, body };
}

/** Sends `shape` traffic at about `rps` for `durationMs` (or until `until` holds). */
export async function drive(o: DriveOptions): Promise<void> {
  const end = Date.now() + o.durationMs;
  const gapMs = (CONCURRENCY * 1000) / o.rps;
  let split = o.split();
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end && o.until?.() !== true && o.signal?.aborted !== true) {
      const started = Date.now();
      if (n++ % 50 === 0) split = o.split();
      const revision = pick(split, o.rnd() * 100);
      const url = revision === undefined ? undefined : o.sidecars.get(revision);
      if (revision === undefined || url === undefined) throw new Error(`no sidecar for the revision the traffic split names (${[...split.keys()].join(', ')})`);
      const { headers, body } = requestOf(o.shape, o.rnd);
      const res = await fetch(`${url}/v2/models/${DEMO_MODEL}/infer`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      o.stats.sent++;
      if (res.status >= 500) o.stats.failed++;
      o.stats.byRevision[revision] = (o.stats.byRevision[revision] ?? 0) + 1;
      const wait = gapMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
