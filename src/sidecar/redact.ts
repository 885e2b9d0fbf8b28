/**
 * Redaction of captured JSON bodies, before anything leaves the process (daemon or spool). A path is
 * either a field name — a V1 instance/prediction key or a V2 input/output tensor name (and a top-level
 * key) — or a JSON path: `$.a.b`, `$['a']`, `$.list[0]`, `$.list[*].x`.
 */
import { createHmac } from 'node:crypto';
import type { Redaction } from '../model/types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Segment = { key: string } | { index: number } | { any: true };

/** A compiled redaction rule. */
export interface CompiledRedaction {
  path: string;
  action: 'drop' | 'hash';
  segments: Segment[] | undefined;
}

/** Parses a JSON path of the supported subset; throws naming the path when it is not one. */
export function parseJsonPath(path: string): Segment[] {
  if (!path.startsWith('$')) throw new Error(`redact path "${path}" is not a JSON path (must start with $)`);
  const out: Segment[] = [];
  const re = /\.([A-Za-z_][\w-]*)|\.\*|\[(\d+)\]|\[\*\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let at = 1;
  while (at < path.length) {
    re.lastIndex = at;
    const m = re.exec(path);
    if (m === null) throw new Error(`redact path "${path}": cannot parse at column ${at + 1} ("${path.slice(at)}")`);
    if (m[1] !== undefined) out.push({ key: m[1] });
    else if (m[2] !== undefined) out.push({ index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) out.push({ key: m[3] ?? m[4] ?? '' });
    else out.push({ any: true });
    at = re.lastIndex;
  }
  if (out.length === 0) throw new Error(`redact path "${path}" names the whole body; use a field`);
  return out;
}

/** Compiles the configured rules once. */
export function compileRedactions(rules: readonly Redaction[]): CompiledRedaction[] {
  return rules.map((r) => ({ path: r.path, action: r.action, segments: r.path.startsWith('$') ? parseJsonPath(r.path) : undefined }));
}

/** A keyed hash (HMAC-SHA-256) of a value: equal values stay joinable, the value is not recoverable without the key. */
export function keyedHash(key: Buffer, value: unknown): string {
  return `hmac-sha256:${createHmac('sha256', key).update(JSON.stringify(value) ?? 'undefined').digest('hex').slice(0, 32)}`;
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies the rules to `body` in place; returns the paths that matched at least once. */
export function redact(body: Json, rules: readonly CompiledRedaction[], key: Buffer): string[] {
  const matched: string[] = [];
  for (const rule of rules) {
    const hit = rule.segments === undefined ? redactName(body, rule, key) : redactPath(body, rule.segments, 0, rule, key);
    if (hit) matched.push(rule.path);
  }
  return matched;
}

function apply(container: { [k: string]: Json } | Json[], k: string | number, rule: CompiledRedaction, key: Buffer): void {
  if (Array.isArray(container)) {
    if (rule.action === 'drop') container.splice(Number(k), 1);
    else container[Number(k)] = keyedHash(key, container[Number(k)]);
  } else if (rule.action === 'drop') delete container[String(k)];
  else container[String(k)] = keyedHash(key, container[String(k)]);
}

function redactPath(node: Json | undefined, segs: Segment[], i: number, rule: CompiledRedaction, key: Buffer): boolean {
  const seg = segs[i];
  if (seg === undefined || node === undefined || node === null || typeof node !== 'object') return false;
  const last = i === segs.length - 1;
  const keys: Array<string | number> =
    'any' in seg ? (Array.isArray(node) ? node.map((_, j) => j) : Object.keys(node)) : 'index' in seg ? [seg.index] : [seg.key];
  let hit = false;
  // Backwards, so that dropping array elements does not shift the ones still to visit.
  for (const k of keys.reverse()) {
    const child = Array.isArray(node) ? (typeof k === 'number' ? node[k] : undefined) : node[String(k)];
    if (child === undefined || (Array.isArray(node) && typeof k !== 'number')) continue;
    if (last) {
      apply(node, k, rule, key);
      hit = true;
    } else if (redactPath(child, segs, i + 1, rule, key)) hit = true;
  }
  return hit;
}

/** A field name: top-level key, keys of V1 instances/inputs/predictions rows, V2 tensors of that name. */
function redactName(body: Json, rule: CompiledRedaction, key: Buffer): boolean {
  if (!isObject(body)) return false;
  let hit = false;
  if (rule.path in body) {
    apply(body, rule.path, rule, key);
    hit = true;
  }
  for (const list of ['instances', 'inputs', 'predictions', 'outputs']) {
    const rows = body[list];
    if (!Array.isArray(rows)) continue;
    for (let j = rows.length - 1; j >= 0; j--) {
      const row = rows[j];
      if (!isObject(row)) continue;
      const tensor = (list === 'inputs' || list === 'outputs') && typeof row.name === 'string' && 'data' in row;
      if (tensor && row.name === rule.path) {
        // A V2 tensor: drop removes it, hash replaces each element of its data.
        if (rule.action === 'drop') rows.splice(j, 1);
        else row.data = Array.isArray(row.data) ? row.data.map((v) => keyedHash(key, v)) : keyedHash(key, row.data ?? null);
        hit = true;
      } else if (!tensor && rule.path in row) {
        apply(row, rule.path, rule, key);
        hit = true;
      }
    }
  }
  return hit;
}

export type { Json };
