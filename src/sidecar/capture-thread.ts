/**
 * The sidecar thread's handle on the capture worker (capture-worker.ts): starts it, posts packed
 * batches (transferring their buffer), applies the metric increments it posts back, and asks it to
 * flush and close. If the worker dies, batches are counted as dropped and the proxy goes on.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../ops/logger.js';
import type { PackedBatch } from './capture-batch.js';
import type { CaptureWorkerInit, FromWorker, ToWorker } from './capture-worker.js';
import type { SidecarMetrics } from './metrics.js';
import type { SidecarOptions } from './options.js';

/**
 * The worker's file next to this one: `.js` in the compiled dist/ (production); `.ts` when running
 * from the sources (tests under vitest, benchmarks under tsx). Node 20 does not apply `--import tsx`
 * given in a worker's execArgv, so from the sources the worker is a small bootstrap that registers
 * tsx's ESM loader in the worker thread and then imports the TypeScript file.
 */
function workerEntry(): { entry: string | URL; evaluate: boolean } {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(`./capture-worker${fromSources ? '.ts' : '.js'}`, import.meta.url);
  if (!fromSources) return { entry: url, evaluate: false };
  // tsx's `esm/api` export: `index.cjs` for require, `index.mjs` beside it for import (the one that works in a worker).
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return { entry: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, evaluate: true };
}

/** The capture worker thread, seen from the sidecar thread. */
export class CaptureWorker {
  private seq = 0;
  private readonly waiting = new Map<number, () => void>();
  private dead = false;

  private constructor(
    private readonly worker: Worker,
    private readonly metrics: SidecarMetrics,
    private readonly log: Logger,
  ) {}

  /** Starts the worker and waits until its spool is open (rejects, naming the spool, when it cannot be). */
  static async start(opts: SidecarOptions, metrics: SidecarMetrics, log: Logger): Promise<CaptureWorker> {
    const init: CaptureWorkerInit = {
      namespace: opts.namespace,
      revision: opts.revision,
      endpoint: opts.endpoint,
      redactKey: new Uint8Array(opts.redactKey),
      rules: [...opts.models].map(([name, c]) => [name, c.redact]),
      fallbackRules: opts.fallbackCapture.redact,
      daemon: opts.daemon,
      token: opts.token,
      ship: opts.ship,
      spoolDir: opts.capture.spoolDir,
      spoolBytes: opts.capture.spoolBytes,
      batchBytes: opts.capture.batchBytes,
      logLevel: log.level,
    };
    const { entry, evaluate } = workerEntry();
    const worker = new Worker(entry, { workerData: init, eval: evaluate });
    const self = new CaptureWorker(worker, metrics, log);
    // Attached first, so no count posted right after `ready` can be missed.
    worker.on('message', (m: FromWorker) => self.onMessage(m));
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`the capture worker exited at start (code ${code})`));
      const onError = (err: Error): void => reject(new Error('the capture worker failed at start', { cause: err }));
      worker.once('exit', onExit);
      worker.once('error', onError);
      const onMessage = (m: FromWorker): void => {
        if (m.kind !== 'ready' && m.kind !== 'failed') return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        worker.off('error', onError);
        if (m.kind === 'ready') resolve();
        else {
          void worker.terminate();
          reject(new Error(m.message, m.cause === undefined ? undefined : { cause: new Error(m.cause) }));
        }
      };
      worker.on('message', onMessage);
    });
    worker.on('error', (err) => log.error({ err }, 'the capture worker failed: captures are dropped from now on'));
    worker.on('exit', () => self.onExit());
    // Its messages do not keep the process alive; close() refs it again while it drains.
    worker.unref();
    return self;
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'count') this.metrics.capture(m.outcome, m.n);
    else if (m.kind === 'done') {
      this.waiting.get(m.seq)?.();
      this.waiting.delete(m.seq);
    }
  }

  private onExit(): void {
    this.dead = true;
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
  }

  /** Posts a batch, moving (not copying) its buffer to the worker. */
  submit(batch: PackedBatch): void {
    if (this.dead) {
      this.metrics.capture('dropped', batch.count * 2);
      return;
    }
    const m: ToWorker = { kind: 'batch', ...batch };
    this.worker.postMessage(m, [batch.bytes]);
  }

  /** Posts a request and resolves on its `done` answer (at once when the worker is gone). */
  private ask(m: ToWorker & { seq: number }): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiting.set(m.seq, resolve);
      this.worker.postMessage(m);
    });
  }

  /**
   * Delivers (up to `deadlineMs`) or spools everything, then stops the worker. Waits at most
   * `deadlineMs` plus a second for the worker's answer (a wedged disk cannot hold shutdown).
   */
  async close(deadlineMs: number): Promise<void> {
    this.worker.ref();
    try {
      const answered = this.ask({ kind: 'close', seq: ++this.seq, deadlineMs: Math.max(0, deadlineMs - 500) });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(() => (this.log.warn({ deadlineMs }, 'capture worker did not finish closing in time: stopping it'), resolve()), deadlineMs + 1_000)));
      await Promise.race([answered, late]);
      clearTimeout(timer);
    } finally {
      if (!this.dead) await this.worker.terminate().catch((err: unknown) => this.log.warn({ err }, 'capture worker did not stop'));
    }
  }
}
