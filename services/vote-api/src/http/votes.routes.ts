import { IdempotencyKeyHeaders, routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { CastVote } from '../use-cases/cast-vote.ts';
import type { createMyVote } from '../use-cases/my-vote.ts';

const { castVote, myVote } = routes;

/**
 * Voting (API.md). The headers schema checks only Idempotency-Key: a missing or malformed token is
 * the authenticator's 401, not a schema 400.
 */
export function registerVoteRoutes(
  app: App,
  useCases: { castVote: CastVote; myVote: ReturnType<typeof createMyVote> },
) {
  app.post(
    castVote.url,
    {
      schema: {
        params: castVote.schema.params,
        body: castVote.schema.body,
        headers: IdempotencyKeyHeaders,
        response: castVote.schema.response,
      },
    },
    async (request, reply) => {
      const receipt = await useCases.castVote({
        electionId: request.params.id,
        selections: request.body.selections,
        altcha: request.body.altcha,
        idempotencyKey: request.headers['idempotency-key'],
        clientIp: request.clientIp,
        auth: request,
      });
      return reply.status(201).header('cache-control', 'no-store').send(receipt);
    },
  );

  app.get(
    myVote.url,
    { schema: { params: myVote.schema.params, response: myVote.schema.response } },
    async (request, reply) => {
      const vote = await useCases.myVote({ electionId: request.params.id, auth: request });
      return reply.header('cache-control', 'no-store, private').send(vote);
    },
  );
}
