/**
 * Spans of proxied requests, exported by the real OpenTelemetry SDK (BatchSpanProcessor → OTLP/HTTP
 * JSON exporter) to the daemon or any collector. Head-sampled as ParentBased(ratio): a sampled
 * incoming traceparent is always followed, an unsampled one never, and root spans are kept at
 * `ratio`. The decision comes first: an unsampled request makes no span object (and no attributes),
 * but still gets its own span id, and its traceparent (flags 00) is always propagated to the predictor.
 * The request SLIs come from the metrics, never from spans, so sampling loses no SLI data. The provider is not registered globally: contexts
 * are passed explicitly, so several sidecars (tests) can live in one process and nothing else is patched.
 * The batch processor's queue is bounded (it drops spans when full), so a slow collector costs no memory.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Starts and ends request spans. */
export interface RequestTracer {
  /**
   * Decides sampling, then starts a server span under the incoming `traceparent` only when it is
   * sampled (undefined otherwise: no span object at all); either way writes the child's
   * `traceparent` into `outgoing`. `attributes` is called only for a sampled span.
   */
  start(name: string, incoming: IncomingHttpHeaders, outgoing: Record<string, string | string[]>, attributes: () => Record<string, string>): Span | undefined;
  end(span: Span, status: number): void;
  shutdown(): Promise<void>;
}

/** W3C Trace Context, version 00: `00-<trace id>-<parent id>-<flags>` (www.w3.org/TR/trace-context, §3.2). */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Random ids from a pooled buffer refilled 4 KiB at a time (one syscall per ~170 ids, not one per id). */
class RandomIds {
  private readonly pool = Buffer.allocUnsafe(4096);
  private at = this.pool.length;
  private hex(bytes: number, zero: string): string {
    for (;;) {
      if (this.at + bytes > this.pool.length) {
        randomFillSync(this.pool);
        this.at = 0;
      }
      const id = this.pool.toString('hex', this.at, (this.at += bytes));
      // All zeros is an invalid id (§3.2.2.3, §3.2.2.4): draw again.
      if (id !== zero) return id;
    }
  }
  traceId(): string {
    return this.hex(16, ZERO_TRACE);
  }
  spanId(): string {
    return this.hex(8, ZERO_SPAN);
  }
}

/** A tracer exporting to `url` (an OTLP/HTTP traces endpoint) with an optional bearer token, keeping `sampleRatio` of root spans. */
export function createTracer(url: string, token: string | undefined, attributes: Record<string, string>, sampleRatio = 1): RequestTracer {
  const exporter = new OTLPTraceExporter({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, timeoutMillis: 10_000 });
  // The root decision (keep `sampleRatio` of roots) is made in start() before the SDK is called, so
  // the SDK only sees spans to record: roots (always on) and children of a sampled remote parent.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'modelslo-sidecar', ...attributes }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000 })],
  });
  const tracer: Tracer = provider.getTracer('modelslo-sidecar');
  const propagator = new W3CTraceContextPropagator();
  const ids = new RandomIds();
  const recorded = (name: string, incoming: IncomingHttpHeaders, outgoing: Record<string, string | string[]>, attrs: Record<string, string>): Span => {
    const parent = propagator.extract(ROOT_CONTEXT, incoming, defaultTextMapGetter);
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attrs }, parent);
    propagator.inject(trace.setSpan(parent, span), outgoing, defaultTextMapSetter);
    return span;
  };
  return {
    start(name, incoming, outgoing, attrs) {
      const tp = incoming.traceparent;
      const m = typeof tp === 'string' ? TRACEPARENT.exec(tp.trim()) : null;
      if (m !== null && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) {
        // A valid parent: followed either way (ParentBased). Sampled: recorded by the SDK.
        if ((parseInt(m[3] ?? '0', 16) & 1) === 1) return recorded(name, incoming, outgoing, attrs());
        outgoing.traceparent = `00-${m[1]}-${ids.spanId()}-00`;
        return undefined;
      }
      if (tp === undefined && sampleRatio > 0 && (sampleRatio >= 1 || Math.random() < sampleRatio)) return recorded(name, incoming, outgoing, attrs());
      if (tp !== undefined) {
        // Another version or a malformed header: the SDK's propagator decides what it is.
        const parent = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, incoming, defaultTextMapGetter));
        if (parent !== undefined && (parent.traceFlags & 1) === 1) return recorded(name, incoming, outgoing, attrs());
        if (parent === undefined && sampleRatio > 0 && (sampleRatio >= 1 || Math.random() < sampleRatio)) return recorded(name, incoming, outgoing, attrs());
        outgoing.traceparent = `00-${parent?.traceId ?? ids.traceId()}-${ids.spanId()}-00`;
        return undefined;
      }
      outgoing.traceparent = `00-${ids.traceId()}-${ids.spanId()}-00`;
      return undefined;
    },
    end(span, status) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    async shutdown() {
      await provider.shutdown().catch(() => undefined);
    },
  };
}
