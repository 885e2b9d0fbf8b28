/**
 * Bounded retries with exponential backoff and jitter for calls to the Kubernetes API: 5xx, 429,
 * timeouts and connection errors are retried; anything else is thrown at once.
 */
import { retryAfterMs, transientReason } from './kube-errors.js';

/** How many tries, how long to wait between them, and how long one request may take. */
export interface RetryPolicy {
  /** Tries in all (the first included), ≥ 1. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per request; the request is aborted and counted as a timeout after this long. */
  timeoutMs: number;
}

/** Defaults: 5 tries, 200 ms doubling to at most 5 s, 10 s per request. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, timeoutMs: 10_000 };

/** Told before each retry: which operation, which try comes next, the wait, and why. */
export interface RetryInfo {
  op: 'read' | 'patch' | 'event';
  /** `namespace/name` of the InferenceService. */
  target: string;
  /** The number of the try about to be made (2 for the first retry). */
  attempt: number;
  delayMs: number;
  /** e.g. `HTTP 503 ServiceUnavailable`, `timeout`, `ECONNREFUSED`, `HTTP 409 Conflict`. */
  reason: string;
}

/** What a retried call needs besides the call itself. */
export interface RetryContext {
  policy: RetryPolicy;
  onRetry: (info: RetryInfo) => void;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/**
 * The wait before try `attempt` (≥ 2): exponential, capped, with "equal jitter" (half fixed, half
 * random) so that many daemons retrying one API server spread out (AWS Architecture Blog,
 * "Exponential Backoff and Jitter", 2015). A `Retry-After` from the server wins, within the cap.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.min(policy.maxDelayMs, retryAfter);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 2));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Runs `call` until it succeeds, fails with a non-transient error, or the tries are used up. */
export async function withRetry<T>(ctx: RetryContext, op: RetryInfo['op'], target: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const reason = transientReason(err);
      if (reason === undefined || attempt >= ctx.policy.attempts) throw err;
      const delayMs = backoffMs(ctx.policy, attempt + 1, ctx.random, retryAfterMs(err));
      ctx.onRetry({ op, target, attempt: attempt + 1, delayMs, reason });
      await ctx.sleep(delayMs);
    }
  }
}
