/**
 * PromQL checks for custom SLI selectors, using Prometheus's own lezer grammar.
 */
import { parser } from '@prometheus-io/lezer-promql';

/** One label matcher of a vector selector. */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A parsed instant vector selector such as `http_requests_total{code!~"5.."}`. */
export interface VectorSelector {
  metric: string;
  matchers: LabelMatcher[];
}

function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  if (quote === "'") return JSON.parse(`"${body.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
  return JSON.parse(literal) as string;
}

/** Parses a plain vector selector; returns an error message when the text is anything else. */
export function parseSelector(text: string): VectorSelector | string {
  const tree = parser.parse(text);
  let error: string | undefined;
  let topLevel = 0;
  let metric = '';
  const matchers: LabelMatcher[] = [];
  let pending: Partial<LabelMatcher> = {};
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        error ??= `is not valid PromQL near column ${node.from + 1}`;
        return false;
      }
      const slice = text.slice(node.from, node.to);
      switch (node.name) {
        case 'PromQL':
          return undefined;
        case 'VectorSelector':
          topLevel += 1;
          return undefined;
        case 'Identifier':
          metric = slice;
          return false;
        case 'LabelName':
          pending = { name: slice };
          return false;
        case 'MatchOp':
          pending.op = slice as LabelMatcher['op'];
          return false;
        case 'StringLiteral':
          if (pending.name === undefined) {
            error ??= 'must be a vector selector with a metric name, such as http_requests_total{job="x"}';
          } else {
            matchers.push({ name: pending.name, op: pending.op ?? '=', value: unquote(slice) });
          }
          return false;
        case 'LabelMatchers':
        case 'UnquotedLabelMatcher':
        case 'QuotedLabelMatcher':
          return undefined;
        default:
          if (node.name !== 'VectorSelector' && topLevel <= 1) {
            error ??= `must be a plain vector selector such as http_requests_total{job="x"} (found ${node.name}); modelslo wraps it in sum(rate(...[window]))`;
          }
          return false;
      }
    },
  });
  if (error !== undefined) return error;
  if (topLevel !== 1) return 'must be exactly one vector selector';
  if (metric === '') {
    const name = matchers.find((m) => m.name === '__name__' && m.op === '=');
    if (name === undefined) return 'must name a metric, such as http_requests_total{job="x"}';
    return { metric: name.value, matchers: matchers.filter((m) => m !== name) };
  }
  return { metric, matchers };
}

/** Returns an error message when `expr` is not valid PromQL, else undefined. */
export function promqlError(expr: string): string | undefined {
  let error: string | undefined;
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) error ??= `is not valid PromQL near column ${node.from + 1}`;
      return error === undefined;
    },
  });
  return error;
}

/** Renders a selector back to PromQL text, with `extra` matchers appended. */
export function renderSelector(sel: VectorSelector): string {
  const parts = sel.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`);
  return parts.length === 0 ? sel.metric : `${sel.metric}{${parts.join(',')}}`;
}
