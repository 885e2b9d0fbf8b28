/** One line for an error and its chain of causes ("could not load reference: ENOENT: …"), for logs and API answers. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.length > 0 ? parts.join(': ') : String(err);
}
