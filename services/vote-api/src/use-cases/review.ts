import type { ElectionConfig } from '@onevote/election-config';
import { AppError, type Logger } from '@onevote/platform';
import type { ClusterRow, ReviewedBallot } from '../adapters/review.repository.ts';
import type { ShardedReview } from '../adapters/sharded-review.ts';
import { availability } from '../domain/ballot.ts';
import { type ClusterRef, type ClusterThresholds, clusterId, minimumSize, parseClusterId } from '../domain/review.ts';

export interface ReviewDeps {
  elections: { get(id: string): ElectionConfig | undefined };
  /** Over every vote shard group of the election. */
  repository: Pick<ShardedReview, 'clusters' | 'clusterSize' | 'clusterBallots' | 'voidedCount' | 'void'>;
  thresholds: ClusterThresholds;
  /** Told after a void changed a tally (results re-read it). */
  voided(electionId: string, ballots: number): void;
  logger: Logger;
}

/** At most this many clusters are listed, the largest first. */
const clusterLimit = 100;

/**
 * Fraud review (docs/fraud-review.md): clusters of suspicious ballots, their ballots, and voids.
 * The caller is an admin (checked at the HTTP edge, I6); nothing here reads or returns a voter id.
 */
export function createReview(deps: ReviewDeps) {
  const { repository, thresholds } = deps;

  function election(id: string): ElectionConfig {
    const config = deps.elections.get(id);
    if (!config) throw new AppError('not_found', { detail: 'no such election' });
    return config;
  }

  async function knownCluster(electionId: string, id: string): Promise<ClusterRef> {
    const ref = parseClusterId(id);
    // A cluster exists while its ballots reach its kind's threshold; ids are not stored.
    if (!ref || (await store(() => repository.clusterSize(electionId, ref))) < minimumSize(ref.kind, thresholds)) {
      throw new AppError('not_found', { detail: 'no such cluster in this election' });
    }
    return ref;
  }

  return {
    async clusters(electionId: string) {
      election(electionId);
      const [rows, voided] = await store(() =>
        Promise.all([repository.clusters(electionId, thresholds), repository.voidedCount(electionId)]),
      );
      const items = rows
        .sort((a, b) => b.ballots - a.ballots || a.ref.value.localeCompare(b.ref.value))
        .slice(0, clusterLimit)
        .map(clusterView);
      return { electionId, voided, thresholds, items };
    },

    async clusterBallots(electionId: string, id: string, page: { offset: number; limit: number }) {
      election(electionId);
      const ref = await knownCluster(electionId, id);
      const { total, items } = await store(() => repository.clusterBallots(electionId, ref, page));
      const next = page.offset + items.length;
      return {
        clusterId: id,
        total,
        offset: page.offset,
        items: items.map(ballotView),
        ...(next < total ? { nextOffset: next } : {}),
      };
    },

    async voidBallots(
      electionId: string,
      input: { reason: string; clusterId?: string | undefined; ballots?: string[] | undefined },
      actor: string,
    ) {
      const config = election(electionId);
      // Precisely: a void is accepted exactly while a ballot would be (open, before closesAt). The
      // final head follows the close, so no void can come after it (API.md: refused after final).
      const state = availability(config, Date.now());
      if (state !== 'open') {
        throw config.status === 'closed' || (config.closesAt && Date.parse(config.closesAt) <= Date.now())
          ? new AppError('results_final', { detail: 'the election is closed: its results are final and cannot be changed' })
          : new AppError('election_not_open', { detail: 'the election is not open: it has no ballots to void' });
      }
      if ((input.clusterId === undefined) === (input.ballots === undefined)) {
        throw new AppError('invalid_request', { detail: 'body: name exactly one of clusterId and ballots' });
      }
      const reason = input.reason.trim();
      const target =
        input.clusterId !== undefined
          ? { cluster: await knownCluster(electionId, input.clusterId), clusterId: input.clusterId }
          : { ballots: input.ballots! };
      const outcome = await store(() => repository.void(electionId, target, { actor, reason }));
      if ('unknown' in outcome) {
        throw new AppError('not_found', {
          detail: `${outcome.unknown.length} of the ballots named are not ballots of this election; nothing was voided`,
          extra: { unknownBallots: outcome.unknown.slice(0, 20) },
        });
      }
      if (outcome.voided > 0) {
        deps.voided(electionId, outcome.voided);
        deps.logger.info({ electionId, voided: outcome.voided, voidId: outcome.voidId, actor }, 'ballots voided');
      }
      return {
        electionId,
        voided: outcome.voided,
        alreadyVoided: outcome.alreadyVoided,
        totalVoided: await store(() => repository.voidedCount(electionId)),
        ...(outcome.voidId ? { voidId: outcome.voidId } : {}),
      };
    },
  };
}

export type Review = ReturnType<typeof createReview>;

function clusterView(row: ClusterRow) {
  const { ref } = row;
  return {
    clusterId: clusterId(ref),
    kind: ref.kind,
    ...(ref.kind === 'key' ? { keyHash: ref.value } : { network: ref.value }),
    ...(ref.minute ? { minute: ref.minute } : {}),
    ballots: row.ballots,
    voided: row.voided,
    challenged: row.challenged,
    peakPerMinute: Math.max(0, ...row.perMinute.map((m) => m.ballots)),
    perMinute: row.perMinute,
  };
}

function ballotView(b: ReviewedBallot) {
  const { subnet, ...rest } = b;
  return { ...rest, network: subnet };
}

/** PostgreSQL away or failing: 503, nothing changed (a void is one transaction). */
async function store<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('unavailable', { detail: 'the ballot store is unavailable', retryAfter: 1, cause: err });
  }
}
