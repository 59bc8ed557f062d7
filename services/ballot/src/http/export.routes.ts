import { Readable } from 'node:stream';
import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { BallotExportRepository } from '../adapters/ballot-export.repository.ts';
import {
  csvHeader,
  csvLine,
  type ExportFormat,
  exportContentTypes,
  jsonClosing,
  jsonItem,
  jsonOpening,
} from '../domain/export-format.ts';
import type { Elections } from '../use-cases/elections.ts';
import type { Access } from './access.ts';
import { schemaOf } from './contract.ts';

/**
 * `GET /v1/elections/:id/export`: the counted ballots of a closed election, streamed. The response
 * pulls from a PostgreSQL cursor one batch at a time (Readable.from only asks for more when the
 * socket drains), so memory stays flat however many ballots there are.
 */
export function exportRoutes(
  app: App,
  deps: { elections: Elections; ballots: BallotExportRepository; access: Access },
) {
  const { elections, ballots, access } = deps;
  app.get(
    routes.exportElection.url,
    { schema: schemaOf(routes.exportElection.schema), onRequest: access.admin },
    async (request, reply) => {
      const format: ExportFormat = request.query.format ?? 'json';
      // Checked before the first byte: once streaming, a status can no longer change.
      const { election, shards } = await elections.exportable(request.params.id);
      const body = Readable.from(lines(election.id, format, ballots.ballots(election.id, shards)));
      body.on('error', (err) =>
        request.log.error({ err, electionId: election.id }, 'export failed mid-stream; response cut short'),
      );
      return reply
        .type(exportContentTypes[format])
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="election-${election.id}.${format}"`)
        .send(body);
    },
  );
}

async function* lines(
  electionId: string,
  format: ExportFormat,
  batches: AsyncGenerator<Parameters<typeof csvLine>[0][]>,
) {
  if (format === 'csv') {
    yield csvHeader;
    for await (const batch of batches) yield batch.map(csvLine).join('');
    return;
  }
  yield jsonOpening(electionId);
  let first = true;
  for await (const batch of batches) {
    let chunk = '';
    for (const ballot of batch) {
      chunk += jsonItem(ballot, first);
      first = false;
    }
    yield chunk;
  }
  yield jsonClosing;
}
