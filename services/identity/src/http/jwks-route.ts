import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { SigningKeys } from '../adapters/signing-keys.ts';

export function jwksRoute(app: App, keys: SigningKeys): void {
  app.get(routes.jwks.url, { schema: routes.jwks.schema }, async (_request, reply) => {
    // Shorter than the activation delay of a new key, so caches pick it up before it signs.
    reply.header('cache-control', 'public, max-age=15');
    return keys.jwks();
  });
}
