/**
 * Errors of the Kubernetes API as modelslo reports them: `KubeApiError` names the verb, the
 * resource and the object, and for 401/403 says what to fix. Also which failures are worth a retry.
 */
import { ApiException } from '@kubernetes/client-node';

/** What a request was about: verb, group, plural resource, namespace and object name. */
export interface KubeTarget {
  verb: string;
  group: string;
  resource: string;
  namespace: string;
  name?: string;
}

/** An error answer (or no answer) of the Kubernetes API for one request. */
export class KubeApiError extends Error {
  /** HTTP status; undefined when no answer came (connection error, timeout). */
  readonly status: number | undefined;
  /** `reason` of the API server's Status object (NotFound, Conflict, Forbidden …), when given. */
  readonly reason: string | undefined;
  readonly verb: string;
  /** Plural resource, e.g. `inferenceservices`. */
  readonly resource: string;
  readonly group: string;
  readonly namespace: string;
  /** The object's name, when the request was about one. */
  readonly objectName: string | undefined;

  constructor(message: string, target: KubeTarget, status: number | undefined, reason: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.verb = target.verb;
    this.resource = target.resource;
    this.group = target.group;
    this.namespace = target.namespace;
    this.objectName = target.name;
  }
}

/** The API server's Status object carried by an error body, when it is one. */
function statusOf(err: ApiException<unknown>): { reason?: string; message?: string } {
  let body: unknown = err.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return { message: text.slice(0, 500) };
    }
  }
  if (typeof body !== 'object' || body === null) return {};
  const s = body as { reason?: unknown; message?: unknown };
  return { ...(typeof s.reason === 'string' ? { reason: s.reason } : {}), ...(typeof s.message === 'string' ? { message: s.message } : {}) };
}

/** `inferenceservices.serving.kserve.io "fraud" in namespace "payments"`. */
export function describeTarget(t: KubeTarget): string {
  const qualified = t.group === '' ? t.resource : `${t.resource}.${t.group}`;
  return `${qualified}${t.name === undefined ? '' : ` "${t.name}"`} in namespace "${t.namespace}"`;
}

/** HTTP status of an error from @kubernetes/client-node, or undefined when there was no answer. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** Turns an error from @kubernetes/client-node into a KubeApiError naming what was attempted. */
export function toKubeApiError(err: unknown, t: KubeTarget): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const what = describeTarget(t);
  if (!(err instanceof ApiException)) {
    const detail = err instanceof Error ? err.message : String(err);
    return new KubeApiError(`could not ${t.verb} ${what}: no answer from the Kubernetes API (${detail})`, t, undefined, undefined, { cause: err });
  }
  const status = err.code;
  const server = statusOf(err);
  if (status === 403) {
    const message = `forbidden: cannot ${t.verb} ${what} (needs verb "${t.verb}" on resource "${t.resource}" of group "${t.group}"): ` +
      'check the modelslo ClusterRole and its binding (deploy/base/rbac.yaml)';
    return new KubeApiError(message, t, status, server.reason ?? 'Forbidden', { cause: err });
  }
  if (status === 401) {
    const message = `unauthorized: the Kubernetes API rejected modelslo's credentials to ${t.verb} ${what}: ` +
      'check the kubeconfig, or the service account token when running in the cluster';
    return new KubeApiError(message, t, status, server.reason ?? 'Unauthorized', { cause: err });
  }
  const reason = server.reason ?? '';
  const message = `could not ${t.verb} ${what}: HTTP ${status}${reason === '' ? '' : ` ${reason}`}${server.message === undefined ? '' : `: ${server.message}`}`;
  return new KubeApiError(message, t, status, server.reason, { cause: err });
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/**
 * Why a failure is worth retrying, or undefined when it is not: 5xx and 429 from the API server,
 * timeouts (our abort) and connection errors. 409 is not here: a conflict needs a re-read first.
 */
export function transientReason(err: unknown): string | undefined {
  if (err instanceof ApiException) {
    return err.code >= 500 || err.code === 429 ? `HTTP ${err.code}${statusOf(err).reason === undefined ? '' : ` ${statusOf(err).reason}`}` : undefined;
  }
  if (!(err instanceof Error)) return undefined;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'timeout';
  const code = (err as { code?: unknown; errno?: unknown }).code ?? (err as { errno?: unknown }).errno;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return code;
  return err.name === 'FetchError' && (err as { type?: unknown }).type === 'system' ? `connection error: ${err.message}` : undefined;
}

/** The delay an API server asks for in `Retry-After` (seconds), in milliseconds, if any. */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const headers = err.headers as Record<string, string | undefined>;
  const value = headers['retry-after'] ?? headers['Retry-After'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
