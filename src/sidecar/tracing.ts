/**
 * Spans of proxied requests, exported by the real OpenTelemetry SDK (BatchSpanProcessor → OTLP/HTTP
 * JSON exporter) to the daemon or any collector. Head-sampled: ParentBased(TraceIdRatioBased(ratio)),
 * so a sampled incoming traceparent is always followed and root spans are kept at `ratio`; an
 * unsampled span is a non-recording one (no attributes, no export) but still gets its own span id,
 * and its traceparent (flags 00) is always propagated to the predictor.
 * The request SLIs come from the metrics, never from spans, so sampling loses no SLI data. The provider is not registered globally: contexts
 * are passed explicitly, so several sidecars (tests) can live in one process and nothing else is patched.
 * The batch processor's queue is bounded (it drops spans when full), so a slow collector costs no memory.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders } from 'node:http';

/** Starts and ends request spans. */
export interface RequestTracer {
  /** Starts a server span under the incoming `traceparent`; writes the child's `traceparent` into `outgoing`. */
  start(name: string, incoming: IncomingHttpHeaders, outgoing: Record<string, string | string[]>, attributes: Record<string, string>): Span;
  end(span: Span, status: number): void;
  shutdown(): Promise<void>;
}

/** A tracer exporting to `url` (an OTLP/HTTP traces endpoint) with an optional bearer token, keeping `sampleRatio` of root spans. */
export function createTracer(url: string, token: string | undefined, attributes: Record<string, string>, sampleRatio = 1): RequestTracer {
  const exporter = new OTLPTraceExporter({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, timeoutMillis: 10_000 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'modelslo-sidecar', ...attributes }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000 })],
  });
  const tracer: Tracer = provider.getTracer('modelslo-sidecar');
  const propagator = new W3CTraceContextPropagator();
  return {
    start(name, incoming, outgoing, attrs) {
      const parent = propagator.extract(ROOT_CONTEXT, incoming, defaultTextMapGetter);
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: attrs }, parent);
      propagator.inject(trace.setSpan(parent, span), outgoing, defaultTextMapSetter);
      return span;
    },
    end(span, status) {
      if (!span.isRecording()) return;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    async shutdown() {
      await provider.shutdown().catch(() => undefined);
    },
  };
}
