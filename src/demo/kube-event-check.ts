/**
 * Validation of an `events.k8s.io/v1` Event on create, as the API server does it
 * (k8s.io/kubernetes pkg/apis/core/validation/events.go, ValidateEventCreate for events.k8s.io/v1),
 * for the Kubernetes stand-in: the fields required, the 1 kB note limit, and the MicroTime format.
 */
import type { Json } from './json-patch.js';
import * as st from './kube-status.js';
import type { KubeStatus } from './kube-status.js';

const NOTE_LIMIT = 1024; // noteLengthLimit in events.go (bytes)
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/; // metav1.RFC3339Micro

/** A valid MicroTime as the API server stores it: UTC, `Z`, six fractional digits (MicroTime.MarshalJSON). */
export function normalizeMicroTime(value: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (m === null) return value;
  return new Date(`${m[1] ?? ''}${m[3] ?? ''}`).toISOString().replace(/\.\d{3}Z$/, `.${m[2] ?? ''}Z`);
}

/** A 400/422 Status for an Event the API server would reject, or undefined when it is valid. */
export function validateEvent(event: Record<string, Json>, namespace: string): { status: number; body: KubeStatus } | undefined {
  const meta = (event.metadata ?? {}) as Record<string, Json>;
  const name = typeof meta.name === 'string' ? meta.name : '';
  const eventTime = event.eventTime;
  if (typeof eventTime === 'string' && !MICRO_TIME.test(eventTime)) {
    // MicroTime.UnmarshalJSON parses with RFC3339Micro: exactly six fractional digits.
    const message = `Event in version "v1" cannot be handled as a Event: parsing time "${eventTime}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse as RFC3339Micro`;
    return { status: 400, body: st.badRequest(message) };
  }
  const causes: { field: string; message: string }[] = [];
  const required = (field: string, value: Json | undefined): void => {
    if (typeof value !== 'string' || value === '') causes.push({ field, message: 'Required value' });
  };
  if (name === '' && (typeof meta.generateName !== 'string' || meta.generateName === '')) {
    causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
  }
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    causes.push({ field: 'metadata.namespace', message: `Invalid value: ${JSON.stringify(meta.namespace)}: does not match the namespace of the request` });
  }
  if (eventTime === undefined || eventTime === null) causes.push({ field: 'eventTime', message: 'Required value' });
  required('reportingController', event.reportingController);
  required('reportingInstance', event.reportingInstance);
  required('action', event.action);
  required('reason', event.reason);
  if (event.type !== 'Normal' && event.type !== 'Warning') {
    causes.push({ field: 'type', message: `Unsupported value: ${JSON.stringify(event.type ?? '')}: supported values: "Normal", "Warning"` });
  }
  if (typeof event.note === 'string' && Buffer.byteLength(event.note) > NOTE_LIMIT) {
    causes.push({ field: 'note', message: `Too long: may not be more than ${NOTE_LIMIT} bytes` });
  }
  const regarding = event.regarding;
  if (typeof regarding !== 'object' || regarding === null || Array.isArray(regarding) || typeof regarding.name !== 'string') {
    causes.push({ field: 'regarding', message: 'Required value' });
  }
  if (causes.length === 0) return undefined;
  return { status: 422, body: st.invalid({ group: 'events.k8s.io', resource: 'events', kind: 'Event.events.k8s.io', name }, causes) };
}
