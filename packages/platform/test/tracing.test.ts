import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { OtlpReceiver, waitFor } from '@onevote/stack';
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import {
  type App,
  createMetrics,
  createServer,
  loggerOptions,
  parseConfig,
  serviceConfig,
  setupTracing,
  tracingEnabled,
  withSpan,
} from '../src/index.ts';

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** Every line the service logged, parsed. */
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

let receiver: OtlpReceiver;
/** Called by the app when a request's headers have arrived (for the split-body case). */
let started: (() => void) | undefined;
let stopTracing: (() => Promise<void>) | undefined;
const apps: App[] = [];

async function anApp(trustTraceparent: boolean): Promise<string> {
  const app = createServer({
    service: 'tracing-test',
    logger: pino(loggerOptions('tracing-test', 'info'), sink),
    metrics: createMetrics('tracing-test'),
    trustedProxies: '127.0.0.1',
    trustTraceparent,
  });
  app.post('/echo', { schema: { body: Type.Object({ word: Type.String() }) } }, async (request) => {
    // After the body was read from the socket: the handler must still be in the request's span.
    request.log.info({ word: request.body.word }, 'echo handler');
    return withSpan('echo.child', async () => {
      request.log.info('inside the child span');
      return { word: request.body.word };
    });
  });
  app.addHook('onRequest', async () => {
    started?.();
  });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

before(async () => {
  receiver = await OtlpReceiver.start({ decode: true });
  // Parsed like every service's config: the OTEL_* variables are part of the base schema.
  const config = parseConfig('tracing-test', serviceConfig({}), {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
  });
  stopTracing = setupTracing('tracing-test', config);
});
after(async () => {
  for (const app of apps) await app.close();
  await stopTracing?.();
  await receiver.stop();
});

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ word: 'hello' }),
  });

/** A POST whose body is sent only once the server has begun the request (its own TCP segment). */
async function splitPost(url: string): Promise<{ status: number; traceparent: string }> {
  const begun = new Promise<void>((resolve) => (started = resolve));
  const body = JSON.stringify({ word: 'split' });
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, path: '/echo', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, traceparent: String(res.headers.traceparent) }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    void begun.then(() => req.end(body));
  });
}

describe('tracing', () => {
  test('is off without an endpoint, and when OTEL_SDK_DISABLED says so', () => {
    const off = (env: Record<string, string>) => setupTracing('x', parseConfig('x', serviceConfig({}), env));
    assert.equal(off({}), undefined);
    assert.equal(off({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' }), undefined);
    assert.equal(off({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' }), undefined);
    assert.throws(() => parseConfig('x', serviceConfig({}), { OTEL_TRACES_SAMPLER: 'sometimes' }), /OTEL_TRACES_SAMPLER/);
    assert.throws(() => parseConfig('x', serviceConfig({}), { OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG/);
    assert.equal(tracingEnabled(), true);
  });

  test('a line logged outside any trace has no trace ids, and its fields stay its own', () => {
    const logger = pino(loggerOptions('tracing-test', 'info'), sink);
    lines.length = 0;
    logger.info({ first: 1 }, 'outside one');
    logger.error(new Error('outside two'));
    logger.info('outside three');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.first, l.trace_id, (l.err as { message?: string } | undefined)?.message]),
      [
        ['outside one', 1, undefined, undefined],
        ['outside two', undefined, undefined, 'outside two'],
        ['outside three', undefined, undefined, undefined],
      ],
    );
  });

  test('a sampled request: traceparent on the answer, trace ids in its log lines, spans exported', async () => {
    const url = await anApp(true);
    lines.length = 0;
    const res = await post(url);
    assert.equal(res.status, 200);
    const [, traceId, spanId] = traceparentPattern.exec(res.headers.get('traceparent') ?? '') ?? [];
    assert.ok(traceId && spanId, `traceparent: ${res.headers.get('traceparent')}`);

    const handler = lines.find((l) => l.msg === 'echo handler');
    assert.equal(handler?.trace_id, traceId);
    assert.equal(handler?.span_id, spanId, 'the handler logs in the server span');
    const child = lines.find((l) => l.msg === 'inside the child span');
    assert.equal(child?.trace_id, traceId);
    assert.notEqual(child?.span_id, spanId, 'the child span has an id of its own');

    await waitFor('both spans exported', () => receiver.trace(traceId).length >= 2, { timeoutMs: 10_000 });
    const spans = receiver.trace(traceId);
    const server = spans.find((s) => s.spanId === spanId);
    assert.equal(server?.name, 'POST /echo');
    assert.equal(server?.kind, 2);
    assert.equal(server?.service, 'tracing-test');
    assert.equal(server?.attributes['http.response.status_code'], 200);
    assert.equal(server?.attributes['onevote.request_id'], res.headers.get('x-request-id'));
    const childSpan = spans.find((s) => s.name === 'echo.child');
    assert.equal(childSpan?.parentSpanId, spanId);
    assert.equal(childSpan?.spanId, child?.span_id);

    // The body arriving after the request began: its events run outside the request's context,
    // and the handler must be put back into it.
    lines.length = 0;
    const split = await splitPost(url);
    assert.equal(split.status, 200);
    const [, splitTrace, splitSpan] = traceparentPattern.exec(split.traceparent) ?? [];
    const splitLine = lines.find((l) => l.msg === 'echo handler');
    assert.equal(splitLine?.word, 'split');
    assert.equal(splitLine?.trace_id, splitTrace);
    assert.equal(splitLine?.span_id, splitSpan);
  });

  test('an incoming traceparent is continued, or ignored where the service faces the internet', async () => {
    const parentTrace = 'a'.repeat(32);
    const incoming = `00-${parentTrace}-${'b'.repeat(16)}-01`;
    const inner = await anApp(true);
    const continued = await post(inner, { traceparent: incoming });
    assert.equal(traceparentPattern.exec(continued.headers.get('traceparent') ?? '')?.[1], parentTrace);
    await waitFor('the continued span', () => receiver.trace(parentTrace).length >= 1, { timeoutMs: 10_000 });
    assert.equal(receiver.trace(parentTrace).find((s) => s.kind === 2)?.parentSpanId, 'b'.repeat(16));

    const edge = await anApp(false);
    const fresh = await post(edge, { traceparent: `00-${'c'.repeat(32)}-${'b'.repeat(16)}-01` });
    const freshTrace = traceparentPattern.exec(fresh.headers.get('traceparent') ?? '')?.[1];
    assert.ok(freshTrace);
    assert.notEqual(freshTrace, 'c'.repeat(32));
  });

  test('an unsampled request: no traceparent, no spans, but its log lines still carry the trace id', async () => {
    const url = await anApp(true);
    lines.length = 0;
    const unsampledTrace = 'd'.repeat(32);
    const res = await post(url, { traceparent: `00-${unsampledTrace}-${'e'.repeat(16)}-00` });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('traceparent'), null);
    const handler = lines.find((l) => l.msg === 'echo handler');
    assert.equal(handler?.trace_id, unsampledTrace);
    // A sampled request after it is exported; the unsampled one never is.
    const sampled = await post(url);
    const sampledTrace = traceparentPattern.exec(sampled.headers.get('traceparent') ?? '')?.[1];
    assert.ok(sampledTrace);
    await waitFor('the sampled request exported', () => receiver.trace(sampledTrace).length >= 1, { timeoutMs: 10_000 });
    assert.equal(receiver.trace(unsampledTrace).length, 0);
  });
});
