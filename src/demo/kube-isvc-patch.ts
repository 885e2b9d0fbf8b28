/**
 * How the Kubernetes stand-in applies a PATCH to an InferenceService before storing it: by media
 * type (custom resources take JSON merge and JSON patches, not strategic merge), then the checks
 * of KServe's CRD schema on `spec.predictor.canaryTrafficPercent`.
 */
import { applyJsonPatch, type Json, JsonPatchError, mergePatch } from './json-patch.js';
import { type KubeObject, obj, text } from './kube-isvc-store.js';
import * as st from './kube-status.js';
import type { KubeStatus } from './kube-status.js';

const ISVC = { group: 'serving.kserve.io', resource: 'inferenceservices' };

/** The patched object, or the Status (400, 415, 422) the API server would answer instead. */
export function applyIsvcPatch(current: KubeObject, contentType: string | undefined, body: string): { object: KubeObject } | { status: number; body: KubeStatus } {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/apply-patch+yaml') {
    return { status: 415, body: { ...st.unsupportedPatchType(), message: 'server-side apply is not implemented by the modelslo Kubernetes stand-in' } };
  }
  if (type !== 'application/merge-patch+json' && type !== 'application/json-patch+json') return { status: 415, body: st.unsupportedPatchType() };
  let patch: Json;
  try {
    patch = JSON.parse(body) as Json;
  } catch (err) {
    return { status: 400, body: st.badRequest(`error decoding patch: ${(err as Error).message}`) };
  }
  let patched: Json;
  try {
    patched = type === 'application/merge-patch+json' ? mergePatch(current, patch) : applyJsonPatch(current, patch);
  } catch (err) {
    if (err instanceof JsonPatchError) return { status: 422, body: st.unprocessable(err.message) };
    throw err;
  }
  if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) return { status: 400, body: st.badRequest('the patched object is not a JSON object') };
  const percent = obj(obj(patched.spec).predictor).canaryTrafficPercent;
  if (percent !== undefined && (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100)) {
    const why = typeof percent === 'number' ? 'must be an integer between 0 and 100'
      : `spec.predictor.canaryTrafficPercent in body must be of type integer: "${percent === null ? 'null' : typeof percent}"`;
    const name = text(obj(current.metadata).name);
    return { status: 422, body: st.invalid({ ...ISVC, kind: 'InferenceService.serving.kserve.io', name },
      [{ field: 'spec.predictor.canaryTrafficPercent', message: `Invalid value: ${JSON.stringify(percent)}: ${why}` }]) };
  }
  return { object: patched };
}
