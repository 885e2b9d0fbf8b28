/**
 * Field paths and their places in a YAML source: every config error names file, line, column
 * and the path of the field (`models[0].slos[1].objective`).
 */
import type { LineCounter} from 'yaml';
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/** A path into the config: keys and list indices. */
export type FieldPath = ReadonlyArray<string | number>;

/** One problem found in a config file. */
export interface SpecIssue {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/** Formats a path as `models[0].slos[1].objective`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/** Formats an issue as `file:line:col: path: message`. */
export function formatIssue(issue: SpecIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path}: ${issue.message}`;
}

/** Finds the deepest node of `doc` along `path`; the offset of its start, or of the key naming it. */
function offsetOf(doc: Document, path: FieldPath): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (pair === undefined) return offset;
      const key = pair.key as Node;
      offset = (pair.value as Node | null)?.range?.[0] ?? key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (item === undefined) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

/** Maps field paths of a parsed document to `file:line:col`. */
export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** An issue for `path`, placed at the field (or its nearest present parent). */
  issue(path: FieldPath, message: string): SpecIssue {
    const pos = this.lines.linePos(offsetOf(this.doc, path));
    return { file: this.file, line: pos.line, column: pos.col, path: formatPath(path), message };
  }
}
