/** JSON parsing with a nesting-depth limit checked before the parser runs. */
import { InvalidInput } from './types.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Greatest nesting depth of JSON text (brackets inside strings are not counted). */
export function jsonDepth(bytes: Uint8Array, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return max;
}

/** Parses JSON bytes; throws InvalidInput naming `what` when too deep or malformed. */
export function parseJsonLimited(bytes: Buffer, maxDepth: number, what: string): unknown {
  if (jsonDepth(bytes, maxDepth) > maxDepth) throw new InvalidInput(`${what}: JSON nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (cause) {
    throw new InvalidInput(`${what}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

/** Whether `v` is a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
