import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { Elections } from '../use-cases/elections.ts';
import type { Access } from './access.ts';
import { emptyBody, schemaOf } from './contract.ts';

/** The Elections rows of API.md: parse, call the use case, answer. */
export function electionRoutes(app: App, deps: { elections: Elections; access: Access }) {
  const { elections, access } = deps;

  app.post(
    routes.createElection.url,
    { schema: schemaOf(routes.createElection.schema), onRequest: access.admin },
    async (request, reply) =>
      reply.status(201).send(await elections.create(request.body, access.caller(request))),
  );

  app.get(
    routes.listElections.url,
    { schema: schemaOf(routes.listElections.schema), onRequest: access.optional },
    async (request) => ({ items: await elections.list(request.query, access.caller(request)) }),
  );

  app.get(
    routes.getElection.url,
    { schema: schemaOf(routes.getElection.schema), onRequest: access.optional },
    async (request) => elections.get(request.params.id, access.caller(request)),
  );

  app.patch(
    routes.patchElection.url,
    { schema: schemaOf(routes.patchElection.schema), onRequest: access.admin },
    async (request) => elections.edit(request.params.id, request.body, access.caller(request)),
  );

  app.delete(
    routes.deleteElection.url,
    { schema: schemaOf(routes.deleteElection.schema), onRequest: access.admin },
    async (request, reply) => {
      await elections.remove(request.params.id, access.caller(request));
      return reply.status(204).send();
    },
  );

  app.post(
    routes.openElection.url,
    { schema: schemaOf(routes.openElection.schema), onRequest: access.admin, preValidation: emptyBody },
    async (request) => elections.open(request.params.id, access.caller(request)),
  );

  app.post(
    routes.closeElection.url,
    { schema: schemaOf(routes.closeElection.schema), onRequest: access.admin, preValidation: emptyBody },
    async (request) => elections.close(request.params.id, access.caller(request)),
  );

  app.get(
    routes.electionHistory.url,
    { schema: schemaOf(routes.electionHistory.schema), onRequest: access.admin },
    async (request) => ({ items: await elections.history(request.params.id) }),
  );
}
