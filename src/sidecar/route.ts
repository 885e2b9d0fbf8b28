/** What a request path is: KServe V1, V2 (Open Inference Protocol) or anything else, and its model. */

/** Protocol label values. */
export type Protocol = 'v1' | 'v2' | 'other';

/** A classified path. `model` is undefined when the path names none. */
export interface Route {
  protocol: Protocol;
  model: string | undefined;
}

// V1: /v1/models/{m} and /v1/models/{m}:predict|:explain. V2: /v2/models/{m}[/versions/{v}][/infer|/ready],
// /v2/health/*, /v2 (server metadata). See kserve.github.io/website, "V1 / Open Inference Protocol".
const V1 = /^\/v1\/models\/([^/:?]+)(?::(?:predict|explain))?(?:\?|$)/;
const V2_MODEL = /^\/v2\/models\/([^/?]+)(?:\/versions\/[^/?]+)?(?:\/(?:infer|ready))?(?:\?|$)/;
const V2_OTHER = /^\/v2(?:\/health\/(?:live|ready))?(?:\?|$)/;

/** Classifies a request path (with its query string). */
export function classify(path: string): Route {
  const v1 = V1.exec(path);
  if (v1 !== null) return { protocol: 'v1', model: decodeSafe(v1[1]) };
  const v2 = V2_MODEL.exec(path);
  if (v2 !== null) return { protocol: 'v2', model: decodeSafe(v2[1]) };
  if (V2_OTHER.test(path)) return { protocol: 'v2', model: undefined };
  return { protocol: 'other', model: undefined };
}

function decodeSafe(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
