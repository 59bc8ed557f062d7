/**
 * Operator commands: `seed` (one open demo election for `npm start`; running it again finds the
 * first one instead of adding another) and `migrate`.
 */
import { fileURLToPath } from 'node:url';
import {
  ElectionConfigPublisher,
  electionConfigProperties,
  openElectionsBucket,
  shardUrls,
  voteShardProperties,
} from '@onevote/election-config';
import {
  connectNats,
  createLogger,
  createPostgres,
  loadConfigOrExit,
  migrate,
  natsConfigProperties,
  type Sql,
  serviceConfig,
} from '@onevote/platform';
import { Type } from '@sinclair/typebox';
import { ElectionRepository } from './adapters/election.repository.ts';
import { Elections } from './use-cases/elections.ts';
import { Propagation } from './use-cases/propagation.ts';

const cliSchema = serviceConfig({
  DATABASE_URL: Type.String({ minLength: 1 }),
  NATS_URL: Type.String({ minLength: 1 }),
  ...natsConfigProperties,
  ...electionConfigProperties,
  ...voteShardProperties,
});

const demoSeedKey = 'demo';

export const demoElection = {
  title: 'OneVote demo: favourite pizza',
  description: 'A demo election created by `npm start`. Pick one.',
  questions: [
    {
      title: 'Which pizza is best?',
      options: [
        { label: 'Margherita' },
        { label: 'Quattro formaggi' },
        { label: 'Diavola' },
        { label: 'Funghi' },
      ],
    },
  ],
  resultsVisibility: 'live' as const,
};

/** Creates and opens the demo election unless a seed already did; safe to run concurrently. */
export async function seedDemo(elections: Elections, repository: ElectionRepository) {
  const seed = { actor: 'seed', isAdmin: true };
  let existing = await repository.findBySeedKey(demoSeedKey);
  if (!existing) {
    try {
      await elections.create(demoElection, seed, { seedKey: demoSeedKey });
    } catch (err) {
      // Another seed won the unique seed_key; use its election.
      if ((err as { code?: string }).code !== '23505') throw err;
    }
    existing = await repository.findBySeedKey(demoSeedKey);
  }
  if (existing?.election.status === 'draft') await elections.open(existing.election.id, seed).catch(() => {});
  return (await repository.findBySeedKey(demoSeedKey))!.election;
}

async function main(command: string | undefined) {
  const config = loadConfigOrExit('ballot', cliSchema);
  const logger = createLogger('ballot-cli', config.LOG_LEVEL);
  const sql: Sql = createPostgres(config.DATABASE_URL, { applicationName: 'ballot-cli', max: 2 });
  try {
    await migrate(sql, {
      schema: 'ballot',
      dir: fileURLToPath(new URL('../migrations', import.meta.url)),
      logger,
    });
    if (command === 'migrate') return;
    if (command !== 'seed') {
      process.stderr.write('usage: cli.ts seed | migrate\n');
      process.exitCode = 2;
      return;
    }
    const nc = await connectNats(config.NATS_URL, 'ballot-cli', logger);
    try {
      // The demo election, like any new one, is spread over every vote shard group deployed.
      const repository = new ElectionRepository(sql, { shards: shardUrls(config).length });
      const kv = await openElectionsBucket(nc, config.ELECTIONS_BUCKET, {
        create: true,
        replicas: config.NATS_REPLICAS,
        logger,
      });
      const elections = new Elections(
        repository,
        new Propagation(repository, new ElectionConfigPublisher(kv), logger),
      );
      const election = await seedDemo(elections, repository);
      logger.info({ electionId: election.id, status: election.status }, 'demo election ready');
    } finally {
      await nc.drain();
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv[2]);
}
