/** `HOST:PORT` listen addresses. */

/** Parses `HOST:PORT`, `:PORT` (all interfaces) or `[::1]:PORT`. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[-.a-zA-Z0-9]*):([0-9]{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:9464), got "${text}"`);
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port };
}
