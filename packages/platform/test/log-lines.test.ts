import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { loggerOptions, tracingEnabled } from '../src/index.ts';

// Tracing off (no OTLP endpoint in this process): the logger's trace-id mixin must add nothing and
// leave each line's own fields alone. (It once returned one shared frozen object that pino merges
// into: every line with fields threw "object is not extensible", and took vote-api down.)
test('with tracing off, log lines keep their own fields and carry no trace ids', () => {
  assert.equal(tracingEnabled(), false);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino(loggerOptions('log-lines-test', 'info'), sink);
  logger.info({ first: 1 }, 'one');
  logger.error({ err: new Error('boom') }, 'two');
  logger.child({ reqId: 'r-1' }).warn({ second: 2 }, 'three');
  logger.info('four');
  assert.deepEqual(
    lines.map((l) => [l.msg, l.first, l.second, l.reqId, 'trace_id' in l]),
    [
      ['one', 1, undefined, undefined, false],
      ['two', undefined, undefined, undefined, false],
      ['three', undefined, 2, 'r-1', false],
      ['four', undefined, undefined, undefined, false],
    ],
  );
  assert.equal((lines[1]!.err as { message: string }).message, 'boom');
});
