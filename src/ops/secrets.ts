/** Secrets come from a file (`--token-file`) or the environment, never from a flag value. */
import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Reads a secret from `file`, else from the env variable `envName`; undefined when neither is set. */
export function readSecret(file: string | undefined, envName: string): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new Error(`cannot read secret file "${file}"`, { cause });
    }
    const secret = text.trim();
    if (secret === '') throw new Error(`secret file "${file}" is empty`);
    return secret;
  }
  const value = process.env[envName]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Compares a presented bearer token with the expected one in constant time. */
export function tokenMatches(authorization: string | undefined, expected: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  // Hash both so lengths are equal and the comparison time does not depend on the token.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
