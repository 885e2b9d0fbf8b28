/** What a request path is: KServe V1, V2 (Open Inference Protocol) or anything else, its model, and what kind of call it is. */

/** Protocol label values. */
export type Protocol = 'v1' | 'v2' | 'other';

/**
 * Kind of a call: an inference (predict/explain/infer: the only calls the SLIs count and the only
 * ones captured by kind), a health or readiness probe, a metadata read, or a path of neither protocol.
 */
export type RouteKind = 'inference' | 'health' | 'metadata' | 'unknown';

/** A classified path. `model` is undefined when the path names none. */
export interface Route {
  protocol: Protocol;
  kind: RouteKind;
  model: string | undefined;
}

// V1: /v1/models/{m} (metadata/readiness) and /v1/models/{m}:predict|:explain. V2: /v2/models/{m}[/versions/{v}]
// (metadata), …/infer, …/ready, /v2/health/live|ready, /v2 (server metadata). See kserve.github.io/website,
// "V1 Inference Protocol" and "Open Inference Protocol (V2)".
const V1 = /^\/v1\/models\/([^/:?]+)(:(?:predict|explain))?(?:\?|$)/;
const V2_MODEL = /^\/v2\/models\/([^/?]+)(?:\/versions\/[^/?]+)?(\/(?:infer|ready))?(?:\?|$)/;
const V2_HEALTH = /^\/v2\/health\/(?:live|ready)(?:\?|$)/;
const V2_SERVER = /^\/v2(?:\?|$)/;

/** Classifies a request path (with its query string). */
export function classify(path: string): Route {
  const v1 = V1.exec(path);
  if (v1 !== null) return { protocol: 'v1', kind: v1[2] === undefined ? 'metadata' : 'inference', model: decodeSafe(v1[1]) };
  const v2 = V2_MODEL.exec(path);
  if (v2 !== null) return { protocol: 'v2', kind: v2[2] === '/infer' ? 'inference' : v2[2] === '/ready' ? 'health' : 'metadata', model: decodeSafe(v2[1]) };
  if (V2_HEALTH.test(path)) return { protocol: 'v2', kind: 'health', model: undefined };
  if (V2_SERVER.test(path)) return { protocol: 'v2', kind: 'metadata', model: undefined };
  return { protocol: 'other', kind: 'unknown', model: undefined };
}

function decodeSafe(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
