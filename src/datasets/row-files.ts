/**
 * Reads feature rows (for `modelslo drift` and the daemon's drift references) from JSONL or CSV (by extension: .csv is CSV, anything
 * else JSONL). CSV needs a header row; a column is numeric when every non-empty cell parses as a
 * number. A feature path is a dotted path with [i] indices (`outputs[0].data[0]`). Errors name the
 * file and line (`cur.jsonl:17: not JSON`).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Thrown for bad input; the CLI exits 2. */
export class InputError extends Error {}

/** Rows of a file as objects. */
export interface Rows {
  file: string;
  rows: Record<string, unknown>[];
}

/** Splits one CSV line (RFC 4180 quotes; no newlines inside quotes). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Reads a JSONL or CSV file of rows, reporting progress every `every` rows. */
export async function readRows(file: string, progress: (rows: number) => void = () => {}, every = 100_000): Promise<Rows> {
  const csv = file.toLowerCase().endsWith('.csv');
  const rows: Record<string, unknown>[] = [];
  let header: string[] | undefined;
  let lineNo = 0;
  const input = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (e: NodeJS.ErrnoException) => reject(new InputError(`${file}: cannot read (${e.code ?? e.message})`)));
  });
  await opened;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === '') continue;
    if (csv) {
      const cells = splitCsv(line);
      if (header === undefined) {
        header = cells.map((c) => c.trim());
        continue;
      }
      if (cells.length !== header.length) throw new InputError(`${file}:${lineNo}: ${cells.length} cells, the header has ${header.length}`);
      rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i]])));
    } else {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new InputError(`${file}:${lineNo}: not JSON`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${file}:${lineNo}: not a JSON object`);
      rows.push(value as Record<string, unknown>);
    }
    if (rows.length % every === 0) progress(rows.length);
  }
  if (csv) convertCsvNumbers(rows, header ?? []);
  return { file, rows };
}

/** Turns the cells of all-numeric CSV columns into numbers, empty cells into null. */
function convertCsvNumbers(rows: Record<string, unknown>[], header: string[]): void {
  for (const h of header) {
    const numeric = rows.every((r) => r[h] === '' || Number.isFinite(Number(r[h])));
    for (const r of rows) r[h] = r[h] === '' ? null : numeric ? Number(r[h]) : r[h];
  }
}

/** The value at a dotted path with [i] indices, or undefined. */
export function valueAt(row: unknown, path: string): unknown {
  let cur: unknown = row;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((p) => p !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A column's values: numbers (finite only) for numeric features, strings for categorical; missing dropped. */
export function column(rows: Rows, path: string, kind: 'numeric' | 'categorical'): number[] | string[] {
  if (kind === 'numeric') {
    const out: number[] = [];
    rows.rows.forEach((r) => {
      const v = valueAt(r, path);
      if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
    });
    return out;
  }
  const out: string[] = [];
  for (const r of rows.rows) {
    const v = valueAt(r, path);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  }
  return out;
}

/** The kind of a column from its values: numeric when every present value is a number. */
export function inferKind(rows: Rows, path: string): 'numeric' | 'categorical' {
  let any = false;
  for (const r of rows.rows) {
    const v = valueAt(r, path);
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number') return 'categorical';
    any = true;
  }
  return any ? 'numeric' : 'categorical';
}

/** Feature names: the keys of the reference's rows whose values are scalars, in first-seen order. */
export function featureNames(rows: Rows): string[] {
  const names = new Set<string>();
  for (const r of rows.rows.slice(0, 1000)) {
    for (const [k, v] of Object.entries(r)) if (v === null || typeof v !== 'object') names.add(k);
  }
  return [...names];
}
