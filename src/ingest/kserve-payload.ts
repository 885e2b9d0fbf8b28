/**
 * KServe payloads decoded into named feature columns and prediction values (pure).
 * V1 (kserve.github.io "V1 protocol"): `{instances: [...]}` → `{predictions: [...]}`.
 * V2 (Open Inference Protocol): `{inputs: [{name, shape, datatype, data}]}` → `{outputs: [...]}`.
 */
import { isObject } from './json-limits.js';
import { InvalidInput, type Protocol } from './types.js';

/** One row of named values: a feature vector or a prediction. */
export type Row = Record<string, unknown>;

/** Tensor datatypes of the Open Inference Protocol. */
const V2_DATATYPES = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES']);

/** The protocol a JSON body speaks, from the sidecar's hint or else from its shape. */
export function detectProtocol(body: unknown, hint: Protocol | null): Protocol {
  if (hint !== null) return hint;
  if (!isObject(body)) return 'other';
  if (Array.isArray(body.instances) || Array.isArray(body.predictions)) return 'v1';
  const tensors = body.inputs ?? body.outputs;
  if (Array.isArray(tensors) && tensors.every((t) => isObject(t) && 'datatype' in t)) return 'v2';
  if (Array.isArray(body.inputs)) return 'v1';
  return 'other';
}

function flatten(data: unknown[], out: unknown[], depth = 0): unknown[] {
  for (const d of data) {
    if (Array.isArray(d)) {
      if (depth > 16) throw new InvalidInput('data: nested more than 16 levels');
      flatten(d, out, depth + 1);
    } else out.push(d);
  }
  return out;
}

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

function v2Tensors(body: unknown, key: 'inputs' | 'outputs', at: string): Tensor[] {
  if (!isObject(body)) throw new InvalidInput(`${at}: must be a JSON object with "${key}" (V2 protocol)`);
  const list = body[key];
  if (!Array.isArray(list) || list.length === 0) throw new InvalidInput(`${at}.${key}: must be a non-empty array`);
  return list.map((t: unknown, i): Tensor => {
    const p = `${at}.${key}[${i}]`;
    if (!isObject(t)) throw new InvalidInput(`${p}: must be an object`);
    if (typeof t.name !== 'string' || t.name === '') throw new InvalidInput(`${p}.name: must be a non-empty string`);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
      throw new InvalidInput(`${p}.shape: must be an array of non-negative integers`);
    }
    if (typeof t.datatype !== 'string' || !V2_DATATYPES.has(t.datatype)) throw new InvalidInput(`${p}.datatype: must be one of ${[...V2_DATATYPES].join(', ')}`);
    if (!Array.isArray(t.data)) throw new InvalidInput(`${p}.data: must be an array`);
    const data = flatten(t.data, []);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new InvalidInput(`${p}.data: has ${data.length} elements, shape [${shape.join(', ')}] needs ${size}`);
    return { name: t.name, shape: shape as number[], data };
  });
}

/** Rows of V2 tensors: the first dimension is the batch; wider tensors give `name[j]` columns. */
function tensorRows(tensors: Tensor[]): Row[] {
  const rows: Row[] = [];
  for (const t of tensors) {
    const batch = t.shape.length === 0 ? 1 : (t.shape[0] ?? 1);
    const width = batch === 0 ? 0 : t.data.length / batch;
    for (let r = 0; r < batch; r++) {
      const row = (rows[r] ??= {});
      if (width === 1) row[t.name] = t.data[r];
      else for (let j = 0; j < width; j++) row[`${t.name}[${j}]`] = t.data[r * width + j];
    }
  }
  return rows;
}

function v1Row(instance: unknown): Row {
  if (isObject(instance)) return instance;
  if (Array.isArray(instance)) {
    const row: Row = {};
    (instance as unknown[]).forEach((v, j) => (row[`f${j}`] = v));
    return row;
  }
  return { value: instance };
}

/** Feature rows of a request body; throws InvalidInput (prefixed by `at`) when a V2 body is malformed. */
export function requestFeatures(body: unknown, protocol: Protocol, at: string): Row[] | null {
  if (protocol === 'v2') return tensorRows(v2Tensors(body, 'inputs', at));
  if (protocol === 'v1' && isObject(body)) {
    const instances = body.instances ?? body.inputs;
    if (instances === undefined) return null;
    if (!Array.isArray(instances)) throw new InvalidInput(`${at}.instances: must be an array (V1 protocol)`);
    return (instances as unknown[]).map(v1Row);
  }
  return null;
}

/** Prediction values of a successful response body; throws InvalidInput when a V2 body is malformed. */
export function responsePredictions(body: unknown, protocol: Protocol, at: string): unknown[] | null {
  if (protocol === 'v2') return tensorRows(v2Tensors(body, 'outputs', at));
  if (protocol === 'v1' && isObject(body)) {
    const predictions = body.predictions ?? body.outputs;
    if (predictions === undefined) return null;
    if (!Array.isArray(predictions)) throw new InvalidInput(`${at}.predictions: must be an array (V1 protocol)`);
    return predictions as unknown[];
  }
  return null;
}
