import type { FastifyRequest } from 'fastify';
import type { App } from './server.ts';
import { context, type Context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { markFailure, tracer, tracingEnabled, traceparentOf } from './tracing.ts';

const kSpan = Symbol('onevote.span');
const kContext = Symbol('onevote.traceContext');

interface Traced {
  [kSpan]?: Span;
  [kContext]?: Context;
}

const headerGetter = {
  get: (carrier: FastifyRequest['headers'], key: string) => {
    const value = carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
  keys: (carrier: FastifyRequest['headers']) => Object.keys(carrier),
};

/**
 * The server span of every request: started on `onRequest` (from the incoming `traceparent` unless
 * the service faces the internet), made the active context for the hooks and the handler, ended on
 * `onResponse`. A sampled request's answer carries its `traceparent` (API.md: "where traced"); an
 * unsampled one carries none, so a client never holds a trace id that no backend has.
 *
 * The active context is entered twice: on `onRequest` and again on `preHandler`, because the body
 * arrives on the socket's events, which run outside the context the request started in.
 */
export function traceRequests(app: App, options: { trustTraceparent: boolean }) {
  if (!tracingEnabled()) return;
  app.addHook('onRequest', (request, reply, done) => {
    const parent = options.trustTraceparent ? propagation.extract(ROOT_CONTEXT, request.headers, headerGetter) : ROOT_CONTEXT;
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0],
          ...(route ? { 'http.route': route } : {}),
          'onevote.request_id': request.id,
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    (request as Traced)[kSpan] = span;
    (request as Traced)[kContext] = ctx;
    const spanContext = span.spanContext();
    if (spanContext.traceFlags & TraceFlags.SAMPLED) reply.header('traceparent', traceparentOf(spanContext));
    context.with(ctx, done);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    const ctx = (request as Traced)[kContext];
    if (ctx) context.with(ctx, done);
    else done();
  });
  const end = (request: FastifyRequest, status: number | undefined) => {
    const span = (request as Traced)[kSpan];
    if (!span) return;
    (request as Traced)[kSpan] = undefined;
    if (status !== undefined) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else span.setAttribute('onevote.aborted', true);
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, undefined);
    done();
  });
}

/** The request's context, for work a handler starts outside its own async chain. */
export function requestTraceContext(request: FastifyRequest): Context | undefined {
  return (request as Traced)[kContext];
}

/** Records a server error on the request's span (the error handler). */
export function markRequestFailure(request: FastifyRequest, err: unknown) {
  const span = (request as Traced)[kSpan];
  if (span) markFailure(span, err);
}
