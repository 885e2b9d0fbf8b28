/**
 * Which receivers an alert's labels reach in an Alertmanager routing tree, as Alertmanager routes
 * (dispatch/route.go, Route.Match): a route matches when all its matchers do; its children are
 * tried in order and the first match ends the search unless that child has `continue: true`; a
 * route none of whose children match delivers to its own receiver. The journal records these
 * receivers beside each alert, and tests hold them equal to `amtool config routes test`.
 */

/** A route of the config object (`alertmanagerConfig().route`), the fields routing reads. */
export interface RouteNode {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: RouteNode[];
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Whether one matcher (`name="v"`, `name=~"re"`, `!=`, `!~`; value quoted or bare) holds for the labels. */
export function matcherHolds(matcher: string, labels: Readonly<Record<string, string>>): boolean {
  const m = MATCHER.exec(matcher);
  if (m === null) throw new Error(`not an Alertmanager matcher: ${matcher}`);
  const [, name = '', op = '=', raw = ''] = m;
  const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  const actual = labels[name] ?? '';
  switch (op) {
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    // Alertmanager anchors regex matchers at both ends.
    case '=~':
      return new RegExp(`^(?:${value})$`).test(actual);
    default:
      return !new RegExp(`^(?:${value})$`).test(actual);
  }
}

function match(route: RouteNode, labels: Readonly<Record<string, string>>, inherited: string): string[] | null {
  if (!(route.matchers ?? []).every((m) => matcherHolds(m, labels))) return null;
  const receiver = route.receiver ?? inherited;
  const out: string[] = [];
  for (const child of route.routes ?? []) {
    const hit = match(child, labels, receiver);
    if (hit === null) continue;
    out.push(...hit);
    if (child.continue !== true) break;
  }
  return out.length > 0 ? out : [receiver];
}

/** The receivers `labels` are delivered to, in routing order, each once (the root always matches). */
export function routeReceivers(root: RouteNode, labels: Readonly<Record<string, string>>): string[] {
  return [...new Set(match({ ...root, matchers: [] }, labels, root.receiver ?? ''))];
}
