import { invalidToken } from '@onevote/auth';
import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { IdentityDeps } from '../use-cases/identity.ts';
import { logIn } from '../use-cases/login.ts';
import { logOut, refreshTokens } from '../use-cases/refresh.ts';
import { registerVoter } from '../use-cases/register.ts';

// The DPoP and Authorization headers are checked by the authenticator, not by the schema, so that a
// missing one is the 401 API.md promises rather than a 400 from validation.
const logoutSchema = { body: routes.logout.schema.body };
const meSchema = { response: routes.me.schema.response };

export function authRoutes(app: App, deps: IdentityDeps): void {
  app.get(routes.challenge.url, { schema: routes.challenge.schema }, async (request, reply) => {
    await deps.throttle.countChallenge(request.ip);
    const challenge = await deps.altcha.create();
    deps.metrics.challenges.inc({ event: 'issued' });
    reply.header('cache-control', 'no-store');
    // Signed, since an HMAC key is configured: the signature is what makes it verifiable later.
    return { ...challenge, parameters: { ...challenge.parameters }, signature: challenge.signature ?? '' };
  });

  app.post(routes.register.url, { schema: routes.register.schema }, async (request, reply) => {
    const result = await registerVoter(deps, { ...request.body, clientIp: request.ip });
    return reply.status(201).send(result);
  });

  app.post(routes.login.url, { schema: routes.login.schema }, async (request, reply) => {
    const pair = await logIn(deps, {
      ...request.body,
      clientIp: request.ip,
      proof: () => deps.authenticator.proof(request),
    });
    reply.header('cache-control', 'no-store');
    return pair;
  });

  app.post(routes.refresh.url, { schema: routes.refresh.schema }, async (request, reply) => {
    const pair = await refreshTokens(deps, {
      refreshToken: request.body.refresh_token,
      proof: () => deps.authenticator.proof(request),
    });
    reply.header('cache-control', 'no-store');
    return pair;
  });

  app.post(routes.logout.url, { schema: logoutSchema }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await logOut(deps, { voterId: principal.voterId, refreshToken: request.body.refresh_token });
    return reply.status(204).send();
  });

  app.get(routes.me.url, { schema: meSchema }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    const voter = await deps.voters.byId(principal.voterId);
    if (!voter) throw invalidToken('the voter no longer exists');
    reply.header('cache-control', 'no-store');
    return { voterId: voter.id, email: voter.email, roles: voter.roles };
  });
}
