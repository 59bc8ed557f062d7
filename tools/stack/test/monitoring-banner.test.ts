import assert from 'node:assert/strict';
import { test } from 'node:test';
import { banner } from '../src/banner.ts';
import type { Infra } from '../src/infra.ts';
import type { Monitoring } from '../src/monitoring.ts';
import type { RunningService } from '../src/stack.ts';
import type { ServiceName } from '../src/services.ts';

const stack = (monitoring?: Partial<Monitoring>) => ({
  gatewayUrl: 'http://127.0.0.1:8080',
  admin: { email: 'admin@onevote.local', password: 'p', generatedNow: false },
  services: new Map() as Map<ServiceName, RunningService>,
  infra: {
    postgresAdminUrl: 'postgres://postgres@127.0.0.1:54329/postgres',
    redisUrl: 'redis://127.0.0.1:63799',
    natsUrl: 'nats://admin:x@127.0.0.1:42229',
    smtpUrl: 'smtp://127.0.0.1:25259',
    mailDir: '/tmp/mail',
  } as Infra,
  ...(monitoring ? { monitoring: { skipped: {}, ...monitoring } as Monitoring } : {}),
});

test('the banner shows Prometheus only with --monitoring, and what it could not scrape', () => {
  assert.doesNotMatch(banner(stack(), {}), /Prometheus/);
  const text = banner(stack({ prometheusUrl: 'http://127.0.0.1:9090' }), {});
  assert.match(text, /Prometheus: +http:\/\/127\.0\.0\.1:9090 +\(alerts: http:\/\/127\.0\.0\.1:9090\/alerts/);
  assert.doesNotMatch(text, /not scraped/);
  const skipped = banner(stack({ prometheusUrl: 'http://127.0.0.1:9090', skipped: { redis: 'no monitoring user: NOPERM' } }), {});
  assert.match(skipped, /not scraped: redis, no monitoring user: NOPERM/);
});

test('the banner hides every password of a NATS cluster’s URL list', () => {
  const cluster = stack();
  cluster.infra.natsUrl = 'nats://admin:s3cret@127.0.0.1:42229,nats://admin:s3cret@127.0.0.1:42230,nats://admin:s3cret@127.0.0.1:42231';
  const text = banner(cluster, {});
  assert.doesNotMatch(text, /s3cret/);
  assert.match(text, /nats:\/\/admin:\*\*\*@127\.0\.0\.1:42229,nats:\/\/admin:\*\*\*@127\.0\.0\.1:42230,nats:\/\/admin:\*\*\*@127\.0\.0\.1:42231/);
});
