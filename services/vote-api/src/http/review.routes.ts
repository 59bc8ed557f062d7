import type { Authenticator } from '@onevote/auth';
import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { FastifyRequest } from 'fastify';
import type { Review } from '../use-cases/review.ts';

const { reviewClusters, reviewClusterBallots, voidBallots } = routes;

/**
 * Fraud review (docs/fraud-review.md): admin only (I6). The role is checked in `onRequest`, before
 * the body is parsed, so a caller who is not an admin learns nothing from a 400 about the body.
 */
export function registerReviewRoutes(app: App, deps: { review: Review; authenticator: Pick<Authenticator, 'authenticate'> }) {
  const admins = new WeakMap<FastifyRequest, string>();
  const admin = async (request: FastifyRequest) => {
    const principal = await deps.authenticator.authenticate(request, { role: 'admin' });
    admins.set(request, principal.voterId);
  };
  const noStore = { 'cache-control': 'no-store, private' };

  app.get(
    reviewClusters.url,
    { onRequest: admin, schema: { params: reviewClusters.schema.params, response: reviewClusters.schema.response } },
    async (request, reply) => reply.headers(noStore).send(await deps.review.clusters(request.params.id)),
  );

  app.get(
    reviewClusterBallots.url,
    {
      onRequest: admin,
      schema: {
        params: reviewClusterBallots.schema.params,
        querystring: reviewClusterBallots.schema.querystring,
        response: reviewClusterBallots.schema.response,
      },
    },
    async (request, reply) => {
      const { offset = '0', limit = '100' } = request.query;
      const page = await deps.review.clusterBallots(request.params.id, request.params.clusterId, {
        offset: Number(offset),
        limit: Number(limit),
      });
      return reply.headers(noStore).send(page);
    },
  );

  app.post(
    voidBallots.url,
    {
      onRequest: admin,
      schema: { params: voidBallots.schema.params, body: voidBallots.schema.body, response: voidBallots.schema.response },
    },
    async (request, reply) => {
      const result = await deps.review.voidBallots(request.params.id, request.body, admins.get(request)!);
      return reply.headers(noStore).send(result);
    },
  );
}
