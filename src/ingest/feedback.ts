/**
 * Ground-truth labels of POST /v1/feedback: one JSON object or a JSON array of
 * `{"namespace","model","id","label"}` with an optional RFC 3339 `time`. Every field of every item
 * is checked; the first problem is the error, naming the item's index and the field, and then no
 * item is stored. A categorical label is kept as text, a numeric one as a number.
 */
import { classOf } from '../correctness/figures.js';
import type { CorrectnessSettings } from '../model/types.js';
import { isObject, parseJsonLimited } from './json-limits.js';
import { InvalidInput, type Decoded } from './types.js';

/** A ground-truth label of one prediction (POST /v1/feedback), as decoded and stored; `label` is JSON text. */
export interface LabelRecord {
  namespace: string;
  model: string;
  requestId: string;
  label: string;
  timeMs: number;
}

/** Items per request at most (a larger set is sent in several requests). */
export const MAX_FEEDBACK_ITEMS = 10_000;
/** Characters of a request id or a text label at most. */
export const MAX_FEEDBACK_TEXT = 1024;

const FIELDS = new Set(['namespace', 'model', 'id', 'label', 'time']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** What decoding needs: the JSON depth limit, how each configured model judges labels, and the time of labels without one. */
export interface FeedbackContext {
  jsonDepth: number;
  correctness: (namespace: string, model: string) => CorrectnessSettings | undefined;
  nowMs: number;
}

function text(item: Record<string, unknown>, field: string, at: string): string {
  const v = item[field];
  if (v === undefined) throw new InvalidInput(`${at}.${field}: missing (required)`);
  if (typeof v !== 'string' || v === '') throw new InvalidInput(`${at}.${field}: must be a non-empty string`);
  if (v.length > MAX_FEEDBACK_TEXT) throw new InvalidInput(`${at}.${field}: longer than ${MAX_FEEDBACK_TEXT} characters`);
  return v;
}

function labelText(v: unknown, s: CorrectnessSettings, at: string): string {
  if (v === undefined) throw new InvalidInput(`${at}.label: missing (required)`);
  if (s.kind === 'numeric') {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInput(`${at}.label: must be a finite number (the model's predictions are numeric)`);
    return JSON.stringify(v);
  }
  const c = classOf(v);
  if (c === undefined || c === '') throw new InvalidInput(`${at}.label: must be a non-empty string, a number or a boolean (a class)`);
  if (c.length > MAX_FEEDBACK_TEXT) throw new InvalidInput(`${at}.label: longer than ${MAX_FEEDBACK_TEXT} characters`);
  return JSON.stringify(c);
}

function timeOf(v: unknown, at: string, nowMs: number): number {
  if (v === undefined) return nowMs;
  const ms = typeof v === 'string' && RFC3339.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidInput(`${at}.time: must be an RFC 3339 time such as 2026-12-01T02:00:00Z`);
  return ms;
}

function item(v: unknown, at: string, ctx: FeedbackContext): LabelRecord {
  if (!isObject(v)) throw new InvalidInput(`${at}: must be an object {"namespace","model","id","label"}`);
  const unknown = Object.keys(v).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) throw new InvalidInput(`${at}.${unknown}: unknown field (allowed: namespace, model, id, label, time)`);
  const namespace = text(v, 'namespace', at);
  const model = text(v, 'model', at);
  const settings = ctx.correctness(namespace, model);
  if (settings === undefined) throw new InvalidInput(`${at}.model: no model ${namespace}/${model} in the config`);
  const requestId = text(v, 'id', at);
  return { namespace, model, requestId, label: labelText(v.label, settings, at), timeMs: timeOf(v.time, at, ctx.nowMs) };
}

/** Decodes a feedback body; every error names `body` or `body[i]` and the field. */
export function decodeFeedback(body: Buffer, ctx: FeedbackContext): Decoded<LabelRecord[]> {
  try {
    const data = parseJsonLimited(body, ctx.jsonDepth, 'body');
    const many = Array.isArray(data);
    const list: unknown[] = many ? data : [data];
    if (list.length === 0) throw new InvalidInput('body: an empty array (send at least one label)');
    if (list.length > MAX_FEEDBACK_ITEMS) throw new InvalidInput(`body: ${list.length} items, more than ${MAX_FEEDBACK_ITEMS} per request`);
    const seen = new Map<string, { index: number; label: string }>();
    const records = list.map((v, i) => {
      const at = many ? `body[${i}]` : 'body';
      const r = item(v, at, ctx);
      const key = JSON.stringify([r.namespace, r.model, r.requestId]);
      const prior = seen.get(key);
      if (prior !== undefined && prior.label !== r.label) throw new InvalidInput(`${at}.label: ${r.label} differs from the label ${prior.label} of the same id in body[${prior.index}]`);
      seen.set(key, { index: i, label: r.label });
      return r;
    });
    return { ok: true, value: records };
  } catch (err) {
    if (err instanceof InvalidInput) return { ok: false, error: err.message };
    throw err;
  }
}
