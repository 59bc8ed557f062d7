import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { TokenIssuer } from '@onevote/auth/client';
import { natsNames, type TallyChanged } from '@onevote/contracts';
import { type ElectionConfig, ElectionConfigPublisher, openElectionsBucket } from '@onevote/election-config';
import {
  type App,
  bootService,
  connectNats,
  createLogger,
  createPostgres,
  createRedis,
  migrate,
  type RedisClient,
  type Sql,
} from '@onevote/platform';
import { repoRoot } from '@onevote/stack';
import { freshDatabase, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import type { ResultsSettings } from '../src/app.ts';
import { resultsService } from '../src/service.ts';

export { waitFor };

/** Settings of every results process in these tests; the rest are the service's defaults. */
export const defaultSettings: Partial<ResultsSettings> = {
  TRUSTED_PROXIES: '127.0.0.1',
  REREAD_INTERVAL_MS: 2000,
  FRAME_INTERVAL_MS: 200,
  KEEPALIVE_INTERVAL_MS: 15_000,
  SSE_RETRY_MS: 2000,
  FINAL_SETTLE_MS: 300,
  MAX_CLIENT_BUFFER_BYTES: 512 * 1024,
};

/** An election config as the ballot service publishes it; two options on one question by default. */
export function anElection(
  overrides: Partial<ElectionConfig> & { optionCount?: number } = {},
): ElectionConfig {
  const { optionCount = 2, ...rest } = overrides;
  return {
    id: randomUUID(),
    title: 'Song of the night',
    description: '',
    status: 'open',
    questions: [
      {
        id: randomUUID(),
        title: 'Best song',
        minSelections: 1,
        maxSelections: 1,
        options: Array.from({ length: optionCount }, (_, i) => ({
          id: randomUUID(),
          label: `Song ${i + 1}`,
        })),
      },
    ],
    opensAt: null,
    closesAt: null,
    resultsVisibility: 'live',
    requireChallenge: false,
    eligibility: 'open',
    createdAt: new Date().toISOString(),
    revision: 1,
    ...rest,
  };
}

/**
 * Shared servers and what vote-api would do: the votes schema (migrated as vote-api's role), a
 * writer that commits ballots' tally deltas, and the `TallyChanged` notification after each commit.
 */
export class ResultsWorld {
  private readonly closers: (() => Promise<unknown>)[] = [];

  private constructor(
    readonly writer: Sql,
    readonly resultsDbUrl: string,
    readonly nc: NatsConnection,
    readonly kv: KV,
    readonly bucket: string,
    readonly redis: RedisClient,
    readonly issuer: TokenIssuer,
    readonly urls: Record<string, string>,
  ) {}

  static async start(): Promise<ResultsWorld> {
    const infra = await testInfra();
    const db = await freshDatabase();
    const logger = createLogger('results-test', 'silent');
    const writer = createPostgres(db.urls['vote-api']!, { applicationName: 'results-test-writer', max: 4 });
    await migrate(writer, { schema: 'votes', dir: join(repoRoot, 'services/vote-api/migrations'), logger });
    const nc = await connectNats(infra.natsUrl, 'results-test', logger);
    const bucket = uniqueName('elections');
    const kv = await openElectionsBucket(nc, bucket, { create: true });
    const redis = createRedis(infra.redisUrl, logger);
    const issuer = await TokenIssuer.start();
    const world = new ResultsWorld(writer, db.urls.results!, nc, kv, bucket, redis, issuer, {
      nats: infra.natsUrl,
      redis: infra.redisUrl,
      voteApiDb: db.urls['vote-api']!,
    });
    world.closers.push(
      () => issuer.stop(),
      () => redis.quit(),
      () => nc.drain(),
      () => writer.end({ timeout: 2 }),
    );
    return world;
  }

  /** A results process on a random port, booted as main.ts boots it (as a replica would be). */
  async startResults(settings: Partial<ResultsSettings> = {}): Promise<{ app: App; url: string; opsUrl: string }> {
    const env: Record<string, string> = {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: this.resultsDbUrl,
      REDIS_URL: this.urls.redis!,
      NATS_URL: this.urls.nats!,
      ELECTIONS_BUCKET: this.bucket,
      TRUSTED_ISSUERS: JSON.stringify([this.issuer.trustEntry]),
    };
    for (const [name, value] of Object.entries({ ...defaultSettings, ...settings })) env[name] = String(value);
    const service = await bootService(resultsService, { env });
    this.closers.unshift(() => service.close());
    return { app: service.app, url: service.url, opsUrl: service.opsUrl };
  }

  async publish(election: ElectionConfig): Promise<void> {
    await new ElectionConfigPublisher(this.kv).publish(election);
  }

  /**
   * What vote-api's group commit does: the ballots' tally deltas and the ballot count in one
   * transaction, then `TallyChanged` (unless `notify: false`, to drop it on purpose).
   * `choices[i]` is the option index (question 0) chosen by ballot i.
   */
  async countBallots(
    election: ElectionConfig,
    choices: number[],
    /** `commitAfter`: the rows are written at once, the transaction commits when it resolves. */
    options: { notify?: boolean; commitAfter?: Promise<void> } = {},
  ): Promise<{ committedAt: number }> {
    const question = election.questions[0]!;
    const slot = Math.floor(Math.random() * 8);
    const perOption = new Map<string, number>();
    for (const c of choices) {
      const id = question.options[c]!.id;
      perOption.set(id, (perOption.get(id) ?? 0) + 1);
    }
    await this.writer.begin(async (tx) => {
      for (const [optionId, n] of perOption) {
        await tx`
          insert into votes.tallies (election_id, question_id, option_id, slot, votes)
          values (${election.id}, ${question.id}, ${optionId}, ${slot}, ${n})
          on conflict (election_id, question_id, option_id, slot)
          do update set votes = votes.tallies.votes + excluded.votes`;
      }
      await tx`
        insert into votes.ballot_totals (election_id, slot, ballots)
        values (${election.id}, ${slot}, ${choices.length})
        on conflict (election_id, slot) do update set ballots = votes.ballot_totals.ballots + excluded.ballots`;
      await options.commitAfter;
    });
    const committedAt = Date.now();
    if (options.notify !== false) {
      const event: TallyChanged = {
        electionId: election.id,
        ballots: choices.length,
        committedAt: new Date(committedAt).toISOString(),
      };
      this.nc.publish(natsNames.tallyChanged(election.id), JSON.stringify(event));
      await this.nc.flush();
    }
    return { committedAt };
  }

  /** Voids ballots as vote-api's fraud review does: tallies and `ballots` down, `voided` up, in slot 0. */
  async voidBallots(election: ElectionConfig, choices: number[]): Promise<void> {
    const question = election.questions[0]!;
    await this.writer.begin(async (tx) => {
      for (const c of choices) {
        await tx`
          insert into votes.tallies (election_id, question_id, option_id, slot, votes)
          values (${election.id}, ${question.id}, ${question.options[c]!.id}, 0, -1)
          on conflict (election_id, question_id, option_id, slot)
          do update set votes = votes.tallies.votes + excluded.votes`;
      }
      await tx`
        insert into votes.ballot_totals (election_id, slot, ballots, voided)
        values (${election.id}, 0, ${-choices.length}, ${choices.length})
        on conflict (election_id, slot) do update
          set ballots = votes.ballot_totals.ballots + excluded.ballots, voided = votes.ballot_totals.voided + excluded.voided`;
    });
    const event: TallyChanged = { electionId: election.id, ballots: choices.length, committedAt: new Date().toISOString() };
    this.nc.publish(natsNames.tallyChanged(election.id), JSON.stringify(event));
    await this.nc.flush();
  }

  async stop(): Promise<void> {
    for (const close of this.closers) await close().catch(() => {});
  }
}

export interface SseFrame {
  id: string | undefined;
  event: string | undefined;
  data: string;
  receivedAt: number;
}

/** A minimal EventSource over node:http that records frames, comments and the retry hint. */
export class SseClient {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  closed = false;
  private constructor(
    readonly response: IncomingMessage,
    private readonly destroy: () => void,
  ) {}

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        const client = new SseClient(res, () => req.destroy());
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            client.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
          }
        });
        res.on('close', () => {
          client.closed = true;
        });
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private parse(block: string) {
    const frame: SseFrame = { id: undefined, event: undefined, data: '', receivedAt: Date.now() };
    let isFrame = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
      else if (line.startsWith('id: ')) frame.id = line.slice(4);
      else if (line.startsWith('event: ')) frame.event = line.slice(7);
      else if (line.startsWith('data: ')) {
        frame.data += line.slice(6);
        isFrame = true;
      }
    }
    if (isFrame) this.frames.push(frame);
  }

  /** The results document of the newest frame. */
  latest(): Record<string, unknown> & { totalBallots: number; final: boolean; status: string } {
    const last = this.frames.at(-1);
    if (!last) throw new Error('no frame yet');
    return JSON.parse(last.data);
  }

  close(): void {
    this.destroy();
  }
}

/** The value of one sample of a Prometheus metric (first match of name and labels). */
export async function metricValue(opsUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels && !line.includes(labels)) continue;
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}
