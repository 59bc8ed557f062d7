import type { App, ServiceDefinition } from '@onevote/platform';
import { buildApp, upstreamChecks } from './app.ts';
import { configSchema } from './config.ts';

/** The local gateway as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const gatewayService: ServiceDefinition<typeof configSchema, { app: App }> = {
  name: 'gateway',
  configSchema,
  async build({ config, logger, metrics, ready }) {
    for (const check of upstreamChecks(config)) ready(check);
    return { app: await buildApp({ config, logger, metrics }) };
  },
};
