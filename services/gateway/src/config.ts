import { port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

export const configSchema = serviceConfig({
  PORT: port(8080),
  /** Base URLs of the services; empty when a service is not deployed. */
  IDENTITY_URL: Type.String({ default: '' }),
  BALLOT_URL: Type.String({ default: '' }),
  VOTE_API_URL: Type.String({ default: '' }),
  RESULTS_URL: Type.String({ default: '' }),
  /** The built web UI (`npm run build --workspace web`); absent means API only. */
  WEB_DIST: Type.String({ default: '' }),
});
