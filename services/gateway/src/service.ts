import type { App, ServiceDefinition } from '@onevote/platform';
import { buildApp, upstreamOrigins } from './app.ts';
import { configSchema } from './config.ts';
import { Upstreams } from './upstreams/upstreams.ts';

/** The local gateway as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const gatewayService: ServiceDefinition<typeof configSchema, { app: App; upstreams: Upstreams }> = {
  name: 'gateway',
  configSchema,
  async build({ config, logger, metrics, ready, onClose }) {
    const upstreams = new Upstreams(upstreamOrigins(config), {
      logger,
      metrics,
      checks: { intervalMs: config.UPSTREAM_CHECK_MS, timeoutMs: config.UPSTREAM_CHECK_TIMEOUT_MS },
    });
    // One round of checks first: the first requests already know which replicas are up.
    await upstreams.start();
    onClose(() => upstreams.stop());
    for (const check of upstreams.readiness()) ready(check);
    return { app: await buildApp({ config, logger, metrics, upstreams }), upstreams };
  },
};
