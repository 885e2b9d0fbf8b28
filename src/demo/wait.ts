/** Waiting in the demo: until a condition holds, bounded, and cut short by Ctrl-C. */

/** Thrown when the demo is interrupted (SIGINT/SIGTERM). */
export class DemoInterrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Sleeps `ms`, or rejects with DemoInterrupted as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(new DemoInterrupted());
    const onAbort = (): void => (clearTimeout(timer), reject(new DemoInterrupted()));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `check` every `everyMs` until it returns a value (not undefined); undefined after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, signal?: AbortSignal, everyMs = 200): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) return undefined;
    await sleep(everyMs, signal);
  }
}
