/**
 * The Rollout port over @kubernetes/client-node 1.x: reads an InferenceService, merge-patches
 * `spec.predictor.canaryTrafficPercent` under a resourceVersion precondition (409 → re-read,
 * re-check, retry), and records events.k8s.io/v1 Events. It patches nothing else; the RBAC it needs
 * is in deploy/base/rbac.yaml (get on inferenceservices, patch on inferenceservices, create on events).
 */
import { hostname } from 'node:os';
import {
  type ConfigurationOptions, CustomObjectsApi, type EventsV1Event, EventsV1Api, KubeConfig, Observable, PatchStrategy,
  setHeaderOptions, V1MicroTime,
} from '@kubernetes/client-node';
import { httpStatus, type KubeTarget, toKubeApiError } from './kube-errors.js';
import { DEFAULT_RETRY, type RetryContext, type RetryInfo, type RetryPolicy, withRetry } from './kube-retry.js';
import { toSnapshot } from './isvc-snapshot.js';
import type { IsvcRef, IsvcSnapshot, PatchOutcome, RolloutEvent, RolloutPort } from './port.js';

/** Configuration of KubeRollout; everything is optional. */
export interface KubeRolloutConfig {
  /** Default: `loadFromDefault()` (KUBECONFIG, ~/.kube/config, or the in-cluster service account). */
  kubeConfig?: KubeConfig;
  retry?: Partial<RetryPolicy>;
  /** Told before every retry (transient failures and 409 conflicts), e.g. to log and count. */
  onRetry?: (info: RetryInfo) => void;
  sleep?: (ms: number) => Promise<void>;
  /** For the backoff jitter; default Math.random. */
  random?: () => number;
  /** `fieldManager` of the patches; default `modelslo`. */
  fieldManager?: string;
  /** `reportingInstance` of Events; default the host name (the pod name in a cluster). */
  reportingInstance?: string;
  now?: () => Date;
}

const GROUP = 'serving.kserve.io';
const VERSION = 'v1beta1';
const PLURAL = 'inferenceservices';
/** `reportingController` of every Event modelslo records. */
export const REPORTING_CONTROLLER = 'modelslo.io/canary';
const NOTE_LIMIT = 1024; // events.k8s.io/v1 rejects a note over 1 kB

/** Cuts `text` to at most `limit` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let out = '';
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (size + n > limit - 3) break;
    out += ch;
    size += n;
  }
  return `${out}…`;
}

/** The Rollout port against a real (or stand-in) Kubernetes API server. */
export class KubeRollout implements RolloutPort {
  private readonly objects: CustomObjectsApi;
  private readonly events: EventsV1Api;
  private readonly retry: RetryContext;
  private readonly fieldManager: string;
  private readonly reportingInstance: string;
  private readonly now: () => Date;
  private sequence = 0;

  constructor(config: KubeRolloutConfig = {}) {
    let kubeConfig = config.kubeConfig;
    if (kubeConfig === undefined) {
      kubeConfig = new KubeConfig();
      kubeConfig.loadFromDefault();
    }
    this.objects = kubeConfig.makeApiClient(CustomObjectsApi);
    this.events = kubeConfig.makeApiClient(EventsV1Api);
    const policy = { ...DEFAULT_RETRY, ...config.retry };
    if (!(policy.attempts >= 1)) throw new Error(`retry.attempts must be at least 1, got ${policy.attempts}`);
    this.retry = {
      policy,
      onRetry: config.onRetry ?? (() => undefined),
      sleep: config.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: config.random ?? Math.random,
    };
    this.fieldManager = config.fieldManager ?? 'modelslo';
    this.reportingInstance = config.reportingInstance ?? hostname();
    this.now = config.now ?? (() => new Date());
  }

  /** Reads the InferenceService; null on 404. */
  async read(ref: IsvcRef): Promise<IsvcSnapshot | null> {
    const target: KubeTarget = { verb: 'get', group: GROUP, resource: PLURAL, namespace: ref.namespace, name: ref.name };
    try {
      const object: unknown = await withRetry(this.retry, 'read', `${ref.namespace}/${ref.name}`, () =>
        this.objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ref.namespace, plural: PLURAL, name: ref.name }, this.options()));
      return toSnapshot(ref, object);
    } catch (err) {
      if (httpStatus(err) === 404) return null;
      throw toKubeApiError(err, target);
    }
  }

  /**
   * Sets (or with null removes) `spec.predictor.canaryTrafficPercent` by a JSON merge patch carrying
   * the resourceVersion just read, so the API server applies it only to the state the precondition
   * saw. On 409 it re-reads: when the field already holds `percent` on the same latest revision (an
   * earlier try landed, or someone else did the same) that counts as applied; else the precondition
   * is checked again and a failing one ends with `applied: false` and its reason.
   */
  async setCanaryPercent(ref: IsvcRef, percent: number | null, precondition: (s: IsvcSnapshot) => string | null): Promise<PatchOutcome> {
    const target: KubeTarget = { verb: 'patch', group: GROUP, resource: PLURAL, namespace: ref.namespace, name: ref.name };
    let attempts = 0;
    let patch: unknown = null;
    let first: IsvcSnapshot | null = null;
    for (let round = 1; ; round += 1) {
      const current = await this.read(ref);
      if (current === null) {
        return { applied: false, attempts, patch, reason: `inferenceservice ${ref.namespace}/${ref.name} not found`, current: null };
      }
      if (first !== null && current.canaryTrafficPercent === percent && current.latestCreatedRevision === first.latestCreatedRevision) {
        return { applied: true, attempts, patch, after: current };
      }
      first ??= current;
      const reason = precondition(current);
      if (reason !== null) return { applied: false, attempts, patch, reason, current };
      patch = { metadata: { resourceVersion: current.resourceVersion }, spec: { predictor: { canaryTrafficPercent: percent } } };
      try {
        const body = patch;
        const answer: unknown = await withRetry(this.retry, 'patch', `${ref.namespace}/${ref.name}`, () => {
          attempts += 1;
          return this.objects.patchNamespacedCustomObject(
            { group: GROUP, version: VERSION, namespace: ref.namespace, plural: PLURAL, name: ref.name, body, fieldManager: this.fieldManager },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch, this.options()));
        });
        return { applied: true, attempts, patch, after: toSnapshot(ref, answer) };
      } catch (err) {
        if (httpStatus(err) !== 409 || round >= this.retry.policy.attempts) throw toKubeApiError(err, target);
        this.retry.onRetry({ op: 'patch', target: `${ref.namespace}/${ref.name}`, attempt: attempts + 1, delayMs: 0, reason: 'HTTP 409 Conflict' });
      }
    }
  }

  /** Creates an events.k8s.io/v1 Event regarding the InferenceService (note cut to 1 kB). */
  async recordEvent(snapshot: IsvcSnapshot, event: RolloutEvent): Promise<void> {
    const { namespace, name } = snapshot.ref;
    const now = this.now();
    this.sequence += 1;
    // Named as client-go's recorder names Events: "<object>.<hex unique suffix>".
    const suffix = (BigInt(now.getTime()) * 1_000_000n + BigInt(this.sequence % 1_000_000)).toString(16);
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${name}.${suffix}`, namespace },
      eventTime: new V1MicroTime(now.getTime()),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.reportingInstance.slice(0, 128),
      action: event.action,
      reason: event.reason,
      note: truncateUtf8(event.note, NOTE_LIMIT),
      type: event.type,
      regarding: {
        apiVersion: `${GROUP}/${VERSION}`, kind: 'InferenceService', name, namespace,
        uid: snapshot.uid, resourceVersion: snapshot.resourceVersion,
      },
    };
    const target: KubeTarget = { verb: 'create', group: 'events.k8s.io', resource: 'events', namespace };
    try {
      await withRetry(this.retry, 'event', `${namespace}/${name}`, () =>
        this.events.createNamespacedEvent({ namespace, body }, this.options()));
    } catch (err) {
      throw toKubeApiError(err, target);
    }
  }

  /** Per-request options: abort after `timeoutMs` (counted as a timeout, and retried). */
  private options(): ConfigurationOptions {
    const timeoutMs = this.retry.policy.timeoutMs;
    return {
      middleware: [{
        pre: (request) => {
          request.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(request));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      }],
      middlewareMergeStrategy: 'append',
    };
  }
}
