import type { JsMsg } from '@nats-io/jetstream';
import type { BallotsCounted, ElectionEvent } from '@onevote/contracts';
import type { Logger } from '@onevote/platform';
import type { HeadsRepository } from '../adapters/heads.repository.ts';
import type { LeafToAppend, MerkleRepository } from '../adapters/merkle.repository.ts';
import { ballotHash, ballotLeaf, eventLeaf, voidLeaf } from '../domain/leaves.ts';
import type { AuditMetrics } from '../metrics.ts';
import type { HeadSigner } from './sign-heads.ts';

const utf8 = new TextEncoder();

interface Group {
  leaves: LeafToAppend[];
  /** Per leaf: when it was published to JetStream and committed in PostgreSQL (ms), for the lag. */
  times: { publishedAt: number; committedAt: number }[];
}

export interface RecorderDeps {
  tree: MerkleRepository;
  heads: HeadsRepository;
  signer: HeadSigner;
  metrics: AuditMetrics;
  logger: Logger;
}

/**
 * Appends what the streams deliver to each election's log: ballots and voids from BALLOTS, lifecycle events
 * from ELECTION_EVENTS. A batch is acknowledged only once its leaves are committed; anything
 * delivered again is found in the log by its key and not appended twice.
 */
export class Recorder {
  constructor(private readonly deps: RecorderDeps) {}

  async recordBallots(messages: JsMsg[]): Promise<void> {
    const groups = new Map<string, Group>();
    for (const m of messages) {
      const body = this.parse<BallotsCounted>(m);
      if (!body) continue;
      const group = groupFor(groups, body.electionId);
      const publishedAt = publishedMs(m);
      for (const b of body.ballots) {
        const key = ballotHash(b.receiptId);
        group.leaves.push({
          leaf: utf8.encode(ballotLeaf({ electionId: body.electionId, ballot: key, selections: b.selections, countedAt: b.countedAt })),
          kind: 'ballot',
          key,
        });
        group.times.push({ publishedAt, committedAt: Date.parse(b.countedAt) });
      }
      // A void cancels a ballot logged before it (its own transaction, committed after the ballot's);
      // keyed by the ballot's hash, so a redelivered void is not appended twice.
      for (const v of body.voids ?? []) {
        const key = ballotHash(v.receiptId);
        group.leaves.push({
          leaf: utf8.encode(voidLeaf({ electionId: body.electionId, ballot: key, reason: v.reason, at: v.at })),
          kind: 'void',
          key,
        });
        group.times.push({ publishedAt, committedAt: Date.parse(v.at) });
      }
    }
    await this.append(groups);
    for (const m of messages) m.ack();
  }

  async recordEvents(messages: JsMsg[]): Promise<void> {
    const groups = new Map<string, Group>();
    const closed: ElectionEvent[] = [];
    for (const m of messages) {
      const event = this.parse<ElectionEvent>(m);
      if (!event) continue;
      const group = groupFor(groups, event.electionId);
      group.leaves.push({
        leaf: utf8.encode(eventLeaf({ electionId: event.electionId, event: event.event, at: event.at })),
        kind: 'event',
        key: `seq:${event.seq}`,
      });
      const at = Date.parse(event.at);
      group.times.push({ publishedAt: publishedMs(m), committedAt: at });
      if (event.event === 'closed') closed.push(event);
    }
    await this.append(groups);
    for (const event of closed) await this.deps.heads.markClosed(event.electionId, event.at);
    for (const m of messages) m.ack();
  }

  private async append(groups: Map<string, Group>): Promise<void> {
    for (const [electionId, group] of groups) {
      if (await this.deps.heads.isFinal(electionId)) {
        // Never drop a counted ballot, but say loudly that a final head was signed too early.
        this.deps.metrics.anomalies.inc({ what: 'after_final' });
        this.deps.logger.error({ electionId, leaves: group.leaves.length }, 'leaves arrived after the final head');
      }
      const { placed } = await this.deps.tree.append(electionId, group.leaves);
      this.deps.metrics.appends.inc();
      const fresh = group.times.filter((_, i) => !placed[i]!.alreadyLogged);
      for (let i = 0; i < placed.length; i++) {
        if (placed[i]!.alreadyLogged) this.deps.metrics.redelivered.inc();
        else this.deps.metrics.leaves.inc({ kind: group.leaves[i]!.kind });
      }
      if (fresh.length > 0) this.deps.signer.grew(electionId, fresh);
    }
  }

  private parse<T extends { v: number; electionId: string }>(m: JsMsg): T | undefined {
    try {
      const body = m.json<T>();
      if (body.v === 1 && typeof body.electionId === 'string') return body;
    } catch {
      // fall through
    }
    // A message nobody can read would block the stream if left unacknowledged: count it and move on.
    this.deps.metrics.anomalies.inc({ what: 'unreadable_message' });
    this.deps.logger.error({ subject: m.subject, seq: m.seq }, 'unreadable message skipped');
    return undefined;
  }
}

function groupFor(groups: Map<string, Group>, electionId: string): Group {
  let group = groups.get(electionId);
  if (!group) groups.set(electionId, (group = { leaves: [], times: [] }));
  return group;
}

/** When JetStream stored the message (ms since the epoch). */
function publishedMs(m: JsMsg): number {
  return Number(BigInt(m.info.timestampNanos) / 1_000_000n);
}
