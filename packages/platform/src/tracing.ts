/**
 * OpenTelemetry tracing for every service, set up once by the bootstrap (`bootService`).
 *
 * Configured by the standard `OTEL_*` variables (parsed with the service's config, see
 * `tracingConfigProperties`). Without an exporter endpoint, or with `OTEL_SDK_DISABLED=true`, nothing
 * is registered: the API stays the no-op one, the server adds no hooks, and `withSpan` calls its
 * function directly, so tracing costs a boolean test.
 *
 * Spans are made by hand, not by module-patching instrumentations: the services run as ES modules
 * under `tsx` (`node --import tsx`), which the require-hook instrumentations do not see without an
 * extra loader hook in every start command. The spans that matter are few and known: the server
 * span of each request (platform server hooks), the gateway's proxied call, vote-api's checks and
 * its group commit, the NATS tally notification and results' frame.
 *
 * Sampling is decided once, at the root (the gateway, or whichever service a request enters first):
 * `parentbased_traceidratio` with a low default ratio. Children follow the parent, and a child of a
 * span that is not sampled is not even made (`withSpan` runs the function in the parent's context).
 */
import {
  type Attributes,
  context,
  type Context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Type } from '@sinclair/typebox';
import { isAppError } from './errors.ts';

const samplers = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
type SamplerName = (typeof samplers)[number];

/** The standard OpenTelemetry variables the services read (part of every service's config). */
export const tracingConfigProperties = {
  /** `true` turns tracing off whatever else is set. */
  OTEL_SDK_DISABLED: Type.Boolean({ default: false }),
  /**
   * Base URL of an OTLP/HTTP receiver (a collector, Jaeger, the ADOT collector for X-Ray); spans go
   * to `<url>/v1/traces`. Empty (and no traces endpoint): tracing is off.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.String({ default: '' }),
  /** Full URL for spans, used as given; overrides `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.String({ default: '' }),
  /** OTLP encoding over HTTP. */
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')], {
    default: 'http/protobuf',
  }),
  /** Head sampler; parent-based, so a trace is kept or dropped whole at the service it enters. */
  OTEL_TRACES_SAMPLER: Type.Union(
    samplers.map((s) => Type.Literal(s)),
    { default: 'parentbased_traceidratio' },
  ),
  /** Ratio of the `*traceidratio` samplers: 0.01 keeps one request in a hundred. */
  OTEL_TRACES_SAMPLER_ARG: Type.Number({ minimum: 0, maximum: 1, default: 0.01 }),
  /** `service.name` of the spans; empty: the service's own name (`vote-api`, ...). */
  OTEL_SERVICE_NAME: Type.String({ default: '' }),
};

export interface TracingConfig {
  OTEL_SDK_DISABLED: boolean;
  OTEL_EXPORTER_OTLP_ENDPOINT: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: string;
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' | 'http/json';
  OTEL_TRACES_SAMPLER: SamplerName;
  OTEL_TRACES_SAMPLER_ARG: number;
  OTEL_SERVICE_NAME: string;
}

/** The tracer every service's spans come from (a proxy: no-op until a provider is registered). */
export const tracer = trace.getTracer('onevote');

let enabled = false;
let installed: { provider: TracerProvider; users: number } | undefined;

/** Whether this process exports spans (a provider is registered). */
export function tracingEnabled(): boolean {
  return enabled;
}

function tracesUrl(config: TracingConfig): string {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return '';
  return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

function sampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * Registers the tracer provider, context manager and W3C propagator for this process, once (test
 * harnesses boot several services in one process: they share the first one's). Returns the
 * shutdown to run at close (flushes what is buffered), or undefined when tracing is off.
 */
export function setupTracing(service: string, config: TracingConfig): (() => Promise<void>) | undefined {
  const url = tracesUrl(config);
  if (config.OTEL_SDK_DISABLED || !url || config.OTEL_TRACES_SAMPLER === 'always_off') return undefined;
  if (!installed) {
    const exporter: SpanExporter =
      config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json'
        ? new OTLPJsonTraceExporter({ url })
        : new OTLPProtoTraceExporter({ url });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME || service }),
      sampler: sampler(config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG),
      // Spans are buffered and sent in the background; past the queue's size they are dropped,
      // never waited for. An export is encoded in one go on the event loop: batches of the SDK's
      // default size (512) keep that stall short.
      spanProcessors: [
        new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000, maxQueueSize: 4096, maxExportBatchSize: 512 }),
      ],
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    installed = { provider, users: 0 };
    enabled = true;
  }
  const current = installed;
  current.users++;
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    if (--current.users > 0) {
      await current.provider.forceFlush();
      return;
    }
    await current.provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
    installed = undefined;
    enabled = false;
  };
}

function sampled(span: SpanContext | undefined): boolean {
  return span !== undefined && (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

/** The `traceparent` value of a span context. */
export function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-0${span.traceFlags & TraceFlags.SAMPLED}`;
}

/**
 * Runs `fn` in a child span of the active one. A child of nothing, or of a span that is not
 * sampled, is not made: `fn` runs as it is (the work belongs to a trace that is not kept). A
 * refusal (`AppError` below 500) is not an error of the span; anything else is.
 */
export async function withSpan<T>(
  name: string,
  fn: () => Promise<T>,
  options?: { attributes?: Attributes; kind?: SpanKind },
): Promise<T> {
  if (!enabled || !sampled(trace.getSpan(context.active())?.spanContext())) return fn();
  return tracer.startActiveSpan(name, options ?? {}, async (span) => {
    try {
      return await fn();
    } catch (err) {
      markFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** `withSpan` for synchronous work (building a frame). */
export function withSpanSync<T>(name: string, fn: () => T, options?: { attributes?: Attributes }): T {
  if (!enabled || !sampled(trace.getSpan(context.active())?.spanContext())) return fn();
  return tracer.startActiveSpan(name, options ?? {}, (span) => {
    try {
      return fn();
    } catch (err) {
      markFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Error status for failures; a refusal gets only its code (`error.type`). */
export function markFailure(span: Span, err: unknown) {
  if (!span.isRecording()) return;
  if (isAppError(err) && err.status < 500) {
    span.setAttribute('onevote.refusal', err.code);
    return;
  }
  span.setAttribute('error.type', isAppError(err) ? err.code : ((err as Error)?.name ?? 'Error'));
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
}

/** The active span's context when it is sampled (for a link or a parent later, e.g. a group commit). */
export function sampledSpanContext(): SpanContext | undefined {
  if (!enabled) return undefined;
  const span = trace.getSpan(context.active())?.spanContext();
  return sampled(span) ? span : undefined;
}

/**
 * A span for work done on behalf of several traced requests (a commit batch): a child of the first
 * one's span, with a link to each (OpenTelemetry's batch convention), run as the active span.
 * Without a sampled request among them, `fn` runs untraced.
 */
export async function withBatchSpan<T>(
  name: string,
  members: readonly (SpanContext | undefined)[],
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  if (!enabled) return fn();
  const links: Link[] = [];
  for (const member of members) if (member) links.push({ context: member });
  const first = links[0];
  // Untraced, and not in whatever context scheduled it (the batch before, a request's timer).
  if (!first) return context.with(ROOT_CONTEXT, fn);
  const parent = trace.setSpanContext(ROOT_CONTEXT, first.context);
  const span = tracer.startSpan(name, { attributes: { ...attributes, 'onevote.batch.traced': links.length }, links }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    markFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** The W3C trace headers of the active context, set on `carrier` through `set` (HTTP or NATS headers). */
export function injectTraceHeaders(set: (key: string, value: string) => void, ctx: Context = context.active()) {
  if (!enabled) return;
  propagation.inject(ctx, undefined, { set: (_carrier, key, value) => set(key, value) });
}

/** The context carried by incoming W3C trace headers (`get` reads one header by name). */
export function extractTraceContext(get: (key: string) => string | undefined): Context {
  if (!enabled) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, undefined, {
    get: (_carrier, key) => get(key),
    keys: () => ['traceparent', 'tracestate'],
  });
}

/**
 * Publishes a NATS message as a producer span of the active (sampled) one, its `traceparent` in the
 * message headers; untraced, `publish` gets no headers and no span is made.
 */
export function publishTraced(name: string, attributes: Attributes, publish: (headers: MsgHdrs | undefined) => void) {
  if (!enabled || !sampled(trace.getSpan(context.active())?.spanContext())) {
    publish(undefined);
    return;
  }
  const span = tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes });
  const headers = natsHeaders();
  injectTraceHeaders((key, value) => headers.set(key, value), trace.setSpan(context.active(), span));
  try {
    publish(headers);
  } catch (err) {
    markFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Handles a NATS message in a consumer span continuing the trace its headers carry (a message
 * without one is handled untraced).
 */
export function consumeTraced<T>(name: string, headers: MsgHdrs | undefined, attributes: Attributes, handle: () => T): T {
  if (!enabled || !headers?.has('traceparent')) return handle();
  const parent = extractTraceContext((key) => headers.get(key) || undefined);
  if (!sampled(trace.getSpan(parent)?.spanContext())) return handle();
  const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
  try {
    return context.with(trace.setSpan(parent, span), handle);
  } catch (err) {
    markFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** What `logCorrelation` returns outside a traced context: never merged into (see below). */
const none: Record<string, never> = Object.freeze({});

/** `trace_id` and `span_id` of the active span, for every log line (pino `mixin`). */
export function logCorrelation(): { trace_id?: string; span_id?: string } {
  if (!enabled) return none;
  const span = trace.getSpan(context.active())?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return none;
  return { trace_id: span.traceId, span_id: span.spanId };
}

/**
 * pino's `mixinMergeStrategy`: the line's own fields win over the trace ids. Pino's default assigns
 * them *into* the mixin's object, which must then be new for every line; outside a trace there is
 * nothing to add, and the line's object is used as it is (no allocation when tracing is off).
 */
export function mergeLogCorrelation(mergeObject: object, mixinObject: object): object {
  return mixinObject === none ? mergeObject : Object.assign(mixinObject, mergeObject);
}

export { context as traceContext, SpanKind, type Span, type SpanContext, type Context as TraceContext, type SpanOptions, ROOT_CONTEXT, trace };
