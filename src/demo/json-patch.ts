/**
 * JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902, with JSON Pointer of RFC 6901), as the
 * Kubernetes API server applies them to custom resources. Used by the Kubernetes stand-in.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON Patch operation that could not be applied (the API server answers 422). */
export class JsonPatchError extends Error {}

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies an RFC 7386 merge patch: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  // RFC 7386 §2, MergePatch(Target, Patch): a non-object patch replaces the target wholesale.
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

/** Splits an RFC 6901 JSON Pointer into its unescaped reference tokens. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${pointer}": must start with "/"`);
  // RFC 6901 §4: "~1" becomes "/" first, then "~0" becomes "~".
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, forAdd: boolean): number {
  if (forAdd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > length || (!forAdd && index === length)) throw new JsonPatchError(`array index ${index} out of bounds`);
  return index;
}

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; key: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)] ?? null;
    else if (isObject(node) && token in node) node = node[token] ?? null;
    else throw new JsonPatchError(`path "${path}" does not exist`);
  }
  const key = tokens[tokens.length - 1];
  if (key === undefined) throw new JsonPatchError('the root cannot be the target here');
  return { parent: node, key };
}

function getAt(doc: Json, path: string): Json {
  let node: Json = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)] ?? null;
    else if (isObject(node) && token in node) node = node[token] ?? null;
    else throw new JsonPatchError(`path "${path}" does not exist`);
  }
  return node;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, structuredClone(value));
  else if (isObject(parent)) parent[key] = structuredClone(value);
  else throw new JsonPatchError(`path "${path}": parent is not a container`);
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return null;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, false), 1);
  else if (isObject(parent) && key in parent) delete parent[key];
  else throw new JsonPatchError(`path "${path}" does not exist`);
  return doc;
}

function deepEqual(a: Json, b: Json): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i] ?? null));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k] ?? null, b[k] ?? null));
  }
  return a === b;
}

function field(op: Record<string, Json>, name: string): string {
  const value = op[name];
  if (typeof value !== 'string') throw new JsonPatchError(`operation is missing "${name}"`);
  return value;
}

/** Applies an RFC 6902 patch (add, remove, replace, move, copy, test) to a copy of `doc`; atomic. */
export function applyJsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new JsonPatchError('a JSON patch must be an array of operations');
  let result = structuredClone(doc);
  for (const op of ops) {
    if (!isObject(op)) throw new JsonPatchError('each JSON patch operation must be an object');
    const path = field(op, 'path');
    const name = field(op, 'op');
    if ((name === 'add' || name === 'replace' || name === 'test') && !('value' in op)) {
      throw new JsonPatchError(`operation "${name}" is missing "value"`);
    }
    const value = op.value ?? null;
    switch (name) {
      case 'add': result = addAt(result, path, value); break;
      case 'remove': result = removeAt(result, path); break;
      // RFC 6902 §4.3: replace is remove then add, and the target must exist.
      case 'replace': getAt(result, path); result = addAt(removeAt(result, path), path, value); break;
      case 'move': { const from = getAt(result, field(op, 'from')); result = addAt(removeAt(result, field(op, 'from')), path, from); break; }
      case 'copy': result = addAt(result, path, getAt(result, field(op, 'from'))); break;
      case 'test':
        if (!deepEqual(getAt(result, path), value)) throw new JsonPatchError(`testing value ${path} failed`);
        break;
      default: throw new JsonPatchError(`unknown operation "${name}"`);
    }
  }
  return result;
}
