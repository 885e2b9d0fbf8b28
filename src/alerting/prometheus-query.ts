/** Queries of the Prometheus HTTP API: instant (`/api/v1/query`) for SLO status and canary checks, range (`/api/v1/query_range`) for reports. */
import { request } from 'undici';

type ApiBody<T> = { status?: string; error?: string; data?: T };

/** GETs `path` of the API with `params`; the `data` of a successful answer, else throws saying what Prometheus answered. */
async function api<T>(baseUrl: string, path: string, params: URLSearchParams, timeoutMs: number): Promise<T> {
  const res = await request(`${baseUrl.replace(/\/$/, '')}${path}?${params.toString()}`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const body = (await res.body.json()) as ApiBody<T>;
  if (res.statusCode !== 200 || body.status !== 'success' || body.data === undefined) throw new Error(`Prometheus query failed (${res.statusCode}): ${body.error ?? 'no error text'}`);
  return body.data;
}

/** The value of the first sample of an instant query, null when it returned no (finite) sample; throws when the query fails. */
export async function instantQuery(baseUrl: string, query: string, timeMs?: number, timeoutMs = 5_000): Promise<number | null> {
  const params = new URLSearchParams({ query });
  if (timeMs !== undefined) params.set('time', (timeMs / 1000).toFixed(3));
  const data = await api<{ result?: Array<{ value?: [number, string] }> }>(baseUrl, '/api/v1/query', params, timeoutMs);
  const v = data.result?.[0]?.value?.[1];
  const n = v === undefined ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** One series of a range query: its labels and [seconds, value text] samples. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** The series of a range query over [startS, endS] seconds at `stepS`; throws when the query fails. */
export async function rangeQuery(baseUrl: string, query: string, startS: number, endS: number, stepS: number, timeoutMs = 30_000): Promise<RangeSeries[]> {
  const params = new URLSearchParams({ query, start: String(startS), end: String(endS), step: `${stepS}s` });
  return (await api<{ result: RangeSeries[] }>(baseUrl, '/api/v1/query_range', params, timeoutMs)).result;
}
