/** Instant queries of the Prometheus HTTP API (`GET /api/v1/query`), for SLO status and canary checks. */
import { request } from 'undici';

/** The value of the first sample of an instant query, null when it returned no (finite) sample; throws when the query fails. */
export async function instantQuery(baseUrl: string, query: string, timeMs?: number, timeoutMs = 5_000): Promise<number | null> {
  const time = timeMs === undefined ? '' : `&time=${(timeMs / 1000).toFixed(3)}`;
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(query)}${time}`;
  const res = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const body = (await res.body.json()) as { status?: string; error?: string; data?: { result?: Array<{ value?: [number, string] }> } };
  if (res.statusCode !== 200 || body.status !== 'success') throw new Error(`Prometheus query failed (${res.statusCode}): ${body.error ?? 'no error text'}`);
  const v = body.data?.result?.[0]?.value?.[1];
  const n = v === undefined ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : null;
}
