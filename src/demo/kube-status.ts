/**
 * `meta.k8s.io/v1` Status objects worded as the Kubernetes API server words them
 * (k8s.io/apimachinery/pkg/api/errors), for the Kubernetes stand-in.
 */

/** A failure Status and the HTTP code it travels with. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

/** What a Status is about: group, plural resource, and the object name when there is one. */
export interface StatusTarget {
  group: string;
  resource: string;
  name?: string;
}

function status(code: number, reason: string, message: string, target?: StatusTarget): KubeStatus {
  const s: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (target !== undefined) {
    s.details = { ...(target.name === undefined ? {} : { name: target.name }), ...(target.group === '' ? {} : { group: target.group }), kind: target.resource };
  }
  return s;
}

/** "inferenceservices.serving.kserve.io" (or "events" for the core group). */
function qualified(t: StatusTarget): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

/** 404 NotFound for a named object. */
export function notFound(t: StatusTarget & { name: string }): KubeStatus {
  return status(404, 'NotFound', `${qualified(t)} "${t.name}" not found`, t);
}

/** 409 Conflict for a stale resourceVersion. */
export function conflict(t: StatusTarget & { name: string }): KubeStatus {
  const message = `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`;
  return status(409, 'Conflict', message, t);
}

/** 403 Forbidden as the RBAC authorizer words it. */
export function forbidden(t: StatusTarget, user: string, verb: string, namespace: string | undefined): KubeStatus {
  const subject = t.name === undefined ? `${qualified(t)} is forbidden` : `${qualified(t)} "${t.name}" is forbidden`;
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const message = `${subject}: User "${user}" cannot ${verb} resource "${t.resource}" in API group "${t.group}" ${scope}`;
  return status(403, 'Forbidden', message, t);
}

/** 401 Unauthorized (no or unknown bearer token). */
export function unauthorized(): KubeStatus {
  return status(401, 'Unauthorized', 'Unauthorized');
}

/** 415 for a patch type the resource does not accept (strategic merge on a custom resource). */
export function unsupportedPatchType(): KubeStatus {
  const message = 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';
  return status(415, 'UnsupportedMediaType', message);
}

/** 400 BadRequest, e.g. a body that is not JSON. */
export function badRequest(message: string): KubeStatus {
  return status(400, 'BadRequest', message);
}

/** 422 for a JSON patch that cannot be applied (the API server's generic 422 is reason Invalid). */
export function unprocessable(message: string): KubeStatus {
  return status(422, 'Invalid', message);
}

/** 422 Invalid for an object failing validation, e.g. an Event without `reportingController`. */
export function invalid(t: StatusTarget & { kind: string; name: string }, causes: { field: string; message: string }[]): KubeStatus {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const s = status(422, 'Invalid', `${t.kind} "${t.name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`, t);
  return { ...s, details: { name: t.name, group: t.group, kind: t.kind } };
}

/** 405 MethodNotAllowed for a verb the stand-in does not serve. */
export function methodNotAllowed(): KubeStatus {
  return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 404 for a path that is no API endpoint. */
export function pathNotFound(): KubeStatus {
  return status(404, 'NotFound', 'the server could not find the requested resource');
}

/** A failure injected by a test (e.g. 503), with the reason the real server would give that code. */
export function injected(code: number, t: StatusTarget & { name?: string }): KubeStatus {
  if (code === 409 && t.name !== undefined) return conflict({ ...t, name: t.name });
  const reasons: Record<number, [string, string]> = {
    429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
    500: ['InternalError', 'Internal error occurred: injected by the stand-in'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
    504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
  };
  const [reason, message] = reasons[code] ?? ['InternalError', `injected failure ${code}`];
  return status(code, reason, message, t);
}
