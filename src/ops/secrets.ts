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

/**
 * The credential an Authorization header presents: a bearer token, or the password of HTTP Basic
 * auth (any user name). Basic is there for KServe's payload logger: it cannot send a bearer token,
 * but Go's HTTP client sends a URL's user-info (`http://modelslo:TOKEN@host/`) as Basic auth (RFC 7617).
 */
function presentedToken(authorization: string): string {
  const bearer = /^Bearer (.+)$/i.exec(authorization)?.[1];
  if (bearer !== undefined) return bearer;
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization)?.[1];
  if (basic === undefined) return '';
  const userPass = Buffer.from(basic, 'base64').toString('utf8');
  const colon = userPass.indexOf(':');
  return colon < 0 ? '' : userPass.slice(colon + 1);
}

/** Compares a presented token (Bearer, or the Basic-auth password) with the expected one in constant time. */
export function tokenMatches(authorization: string | undefined, expected: string): boolean {
  const presented = presentedToken(authorization ?? '');
  // Hash both so lengths are equal and the comparison time does not depend on the token.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
