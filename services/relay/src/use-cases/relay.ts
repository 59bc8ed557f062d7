import type { BallotsCounted } from '@onevote/contracts';
import type { Logger } from '@onevote/platform';
import type { BallotsMessage, BallotsStream } from '../adapters/ballots-stream.ts';
import type { CountedBallots } from '../adapters/counted-ballots.ts';
import type { RelayState } from '../adapters/relay-state.ts';
import type { ReplicationSession, ReplicationSource } from '../adapters/replication-stream.ts';
import { bigIntToLsn, lsnToBigInt, type PgOutputMessage } from '../domain/pgoutput.ts';
import { type CommittedTransaction, type CountedBallot, TransactionAssembler, type VoidedBallot } from '../domain/transactions.ts';
import type { RelayMetrics } from '../metrics.ts';

export interface RelayOptions {
  /** The vote shard group this relay reads (its slot, state and table are on that group); default 0. */
  shard?: number;
  /**
   * How many groups' relays publish into the stream (default 1). With more than one, the stream's
   * newest message may be another group's, so where this group's publishing got to is kept in its
   * own relay state instead (see `highWaterMark`).
   */
  shards?: number;
  /** Committed transactions are published together at most this often. */
  flushMs: number;
  /** ...or as soon as this many ballots are waiting. */
  flushBallots: number;
  /** How often the stream's existence is checked (a lost stream is refilled). */
  streamCheckMs: number;
}

/** The relay's replication slot on the primary (ReplicationSlot). */
export interface SlotStore {
  find(): Promise<{ confirmedFlushLsn: string | null } | undefined>;
  /** Returns the position the new slot starts from. */
  create(): Promise<string>;
  drop(): Promise<void>;
}

export interface RelayDeps {
  source: ReplicationSource;
  /** When given, the relay makes its slot (again) itself: at start, and after a failover lost it. */
  slot?: SlotStore;
  stream: BallotsStream;
  state: RelayState;
  ballots: CountedBallots;
  metrics: RelayMetrics;
  logger: Logger;
  options: RelayOptions;
}

const encoder = new TextEncoder();
const filledStreamKey = 'filled_stream';
/** `<stream created> <commit LSN>`: the last commit of this group the stream acknowledged (several groups). */
const publishedKey = 'published_lsn';
/** Set while ballots since this time are to be republished (a slot was made anew); cleared after. */
const republishKey = 'republish_from';
/** Where the slot this relay made last started: a slot behind it is a stale one (see ensureSlot). */
const slotStartKey = 'slot_start_lsn';
/** The stream's last sequence number when the current slot was made: older messages came from an earlier slot. */
const slotStreamSeqKey = 'slot_stream_seq';
/**
 * A republish starts this long before the newest message in the stream. A ballot missing from the
 * stream committed after that message's transaction; its counted_at is its own transaction's start,
 * at most seconds before its commit (vote-api's statement timeouts are under a second, plus a
 * synchronous-standby wait): two minutes is far beyond that.
 */
const republishMarginMs = 2 * 60_000;

/**
 * Moves counted ballots from PostgreSQL into JetStream `BALLOTS`, in commit order, at least once:
 * committed transactions stream in from the replication slot -> every few milliseconds, what has
 * arrived is published (one message per election, its id the last transaction's commit position)
 * -> once JetStream has acknowledged it all, the position is confirmed to the slot. A crash
 * anywhere before the confirmation re-sends the same transactions: a new session skips what the
 * stream's newest message says it holds, JetStream drops a message id it has seen, and audit
 * appends each ballot once anyway.
 */
export class Relay {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private pending: CommittedTransaction[] = [];
  private pendingBallots = 0;
  /** Transactions at or below this commit position are already in the stream. */
  private highWater: bigint | undefined;
  /** The stream's incarnation (its creation time) this session publishes to. */
  private streamCreated = '';
  private readonly shard: number;
  private readonly shared: boolean;

  constructor(private readonly deps: RelayDeps) {
    this.shard = deps.options.shard ?? 0;
    this.shared = (deps.options.shards ?? 1) > 1;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Makes the slot before the relay is ready (the service's boot), so a fresh relay misses nothing. */
  async prepare(): Promise<void> {
    await this.ensureSlot();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * Refills the stream from `votes.ballots` when it is not the one this relay filled last (lost and
   * made again, or never filled): JetStream is not the acceptance point and can always be rebuilt.
   */
  async checkStream(): Promise<void> {
    const { created } = await this.deps.stream.ensure();
    this.streamCreated = created;
    const filled = await this.deps.state.get(filledStreamKey);
    if (filled === created) return;
    const started = Date.now();
    const count = await this.publishFromTables(`refill:${created}`, '-infinity');
    await this.deps.state.set(filledStreamKey, created);
    this.deps.metrics.refills.inc();
    this.deps.logger.info({ ballots: count, ms: Date.now() - started, stream: created, shard: this.shard }, 'BALLOTS stream refilled from PostgreSQL');
  }

  /**
   * Makes the replication slot if the primary has none: at the first start, and after a failover
   * (PostgreSQL 15 does not carry a logical slot over to the promoted standby). A new slot decodes
   * only what commits after it is made, so what the lost slot had not delivered yet is republished
   * from the tables: every ballot counted since shortly before the stream's newest message (audit
   * appends a ballot it already has no second time). The republish is noted in relay.state before
   * the slot is made, so a relay that dies in between still does it.
   */
  private async ensureSlot(): Promise<void> {
    const { slot, state, stream, logger } = this.deps;
    if (!slot) return;
    let from = await state.get(republishKey);
    let found = await slot.find();
    const lastStart = await state.get(slotStartKey);
    if (found?.confirmedFlushLsn && lastStart && lsnToBigInt(found.confirmedFlushLsn) < lsnToBigInt(lastStart)) {
      // Behind the slot this relay made last: a slot left on a node that was primary before a
      // failover, came back as a standby (pg_rewind keeps pg_replslot) and is primary again. Its
      // position belongs to a history that was rewound away.
      logger.warn({ confirmed: found.confirmedFlushLsn, lastStart }, 'replication slot older than the last one made; dropping it');
      await slot.drop();
      found = undefined;
    }
    if (!found) {
      if (from === undefined) {
        const { created } = await stream.ensure();
        // The stream this relay filled holds what the lost slot delivered: only its end may be
        // missing. Any other stream is refilled whole by checkStream.
        if ((await state.get(filledStreamKey)) === created) from = await this.republishStart();
      }
      if (from !== undefined) await state.set(republishKey, from);
      const start = await slot.create();
      await state.set(slotStartKey, start);
      logger.info({ start, republishFrom: from ?? null }, 'replication slot made');
    }
    if (from !== undefined) {
      const started = Date.now();
      const count = await this.publishFromTables(`republish:${from}`, from);
      await state.set(slotStreamSeqKey, String(await stream.lastSeq()));
      await state.delete(republishKey);
      logger.info({ ballots: count, since: from, ms: Date.now() - started }, 'ballots republished after the replication slot was made anew');
    }
  }

  /** When the stream's newest transaction was committed, less the margin; everything for an empty stream. */
  private async republishStart(): Promise<string> {
    const last = await this.deps.stream.lastCommittedAt();
    return last ? new Date(last.getTime() - republishMarginMs).toISOString() : '-infinity';
  }

  /** Publishes the ballots counted since `since`, then the voids made since then; returns how many. */
  private async publishFromTables(idPrefix: string, since: string): Promise<number> {
    let count = 0;
    for await (const batch of this.deps.ballots.all(since)) {
      const messages = [...groupBy(batch, (b) => b.electionId)].map(([electionId, ballots]) =>
        this.message(electionId, `${this.idPrefix}${idPrefix}:${electionId}:${ballots[0]!.receiptId}`, {
          committedAt: ballots.at(-1)!.countedAt,
          ballots,
        }),
      );
      await this.deps.stream.publish(messages);
      count += batch.length;
    }
    // Then the voids, in the order they were made: each cancels a ballot published above.
    for await (const batch of this.deps.ballots.voids(since)) {
      const messages = [...groupBy(batch, (v) => v.electionId)].map(([electionId, voids]) =>
        this.message(electionId, `${this.idPrefix}${idPrefix}:${electionId}:void:${voids[0]!.receiptId}`, {
          committedAt: voids.at(-1)!.at,
          ballots: [],
          voids,
        }),
      );
      await this.deps.stream.publish(messages);
      count += batch.length;
    }
    return count;
  }

  /**
   * Commit positions of one group are comparable only with each other: messages of group `n` > 0
   * have ids of their own (`s<n>:`), or a commit of group 1 at the same position as one of group 0
   * would be dropped by JetStream as a repeat. Group 0's are as they always were.
   */
  private get idPrefix(): string {
    return this.shard > 0 ? `s${this.shard}:` : '';
  }

  /**
   * The newest commit of this group already in the stream. One group: the stream's newest message
   * published since the current slot was made (older ones came from an earlier slot). Several: this
   * group's relay state, written after each acknowledged publish (the stream's newest message may be
   * another group's, and finding this group's last one would mean reading back through the stream).
   */
  private async highWaterMark(): Promise<bigint | undefined> {
    if (!this.shared) return this.deps.stream.lastCommitLsn(Number((await this.deps.state.get(slotStreamSeqKey)) ?? 0));
    const saved = await this.deps.state.get(publishedKey);
    const [stream, lsn] = saved?.split(' ') ?? [];
    return stream === this.streamCreated && lsn ? lsnToBigInt(lsn) : undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let session: ReplicationSession | undefined;
      try {
        // After a failover the primary has no slot (or a stale one): made again before the session.
        await this.ensureSlot();
        await this.checkStream();
        this.highWater = await this.highWaterMark();
        this.pending = [];
        this.pendingBallots = 0;
        const assembler = new TransactionAssembler();
        session = await this.deps.source.open((message) => this.received(assembler, message));
        const ended = session.ended.then(
          () => 'ended' as const,
          (err: unknown) => err,
        );
        let checkedAt = Date.now();
        for (;;) {
          const outcome = await Promise.race([ended, this.pause(this.deps.options.flushMs).then(() => 'tick' as const)]);
          if (outcome !== 'tick') throw outcome === 'ended' ? new Error('the replication session ended') : outcome;
          await this.flush(session);
          if (this.stopped) break;
          if (Date.now() - checkedAt >= this.deps.options.streamCheckMs) {
            await this.checkStream();
            checkedAt = Date.now();
          }
        }
      } catch (err) {
        if (!this.stopped) {
          this.deps.metrics.errors.inc();
          this.deps.logger.warn({ err: (err as Error).message, shard: this.shard }, 'relay session failed; starting again from the slot');
        }
      } finally {
        await session?.stop().catch(() => {});
      }
      if (!this.stopped) await this.pause(1000);
    }
  }

  private received(assembler: TransactionAssembler, message: PgOutputMessage): void {
    const tx = assembler.push(message);
    if (!tx) return;
    if (this.highWater !== undefined && tx.commitLsn <= this.highWater) {
      this.deps.metrics.skipped.inc(tx.ballots.length + tx.voids.length);
      // Already in the stream: nothing to publish, but the position may be confirmed past it.
      this.pending.push({ ...tx, ballots: [], voids: [] });
      return;
    }
    this.pending.push(tx);
    this.pendingBallots += tx.ballots.length + tx.voids.length;
    if (this.pendingBallots >= this.deps.options.flushBallots) this.wake?.();
  }

  /** Publishes what has arrived, then confirms its position to the slot. */
  private async flush(session: ReplicationSession): Promise<void> {
    const transactions = this.pending;
    if (transactions.length === 0) return;
    this.pending = [];
    this.pendingBallots = 0;
    const messages = this.messagesOf(transactions);
    if (messages.length > 0) {
      await this.deps.stream.publish(messages);
      // Before the slot hears of it: a restart then skips what the stream holds (several groups).
      if (this.shared) await this.deps.state.set(publishedKey, `${this.streamCreated} ${bigIntToLsn(transactions.at(-1)!.commitLsn)}`);
    }
    const acked = Date.now();
    let ballots = 0;
    for (const tx of transactions) {
      ballots += tx.ballots.length;
      if (tx.ballots.length > 0 || tx.voids.length > 0) this.deps.metrics.lag.observe((acked - tx.committedAt.getTime()) / 1000);
    }
    await session.acknowledge(bigIntToLsn(transactions.at(-1)!.endLsn));
    this.deps.metrics.transactions.inc(transactions.length);
    this.deps.metrics.ballots.inc(ballots);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * One message per election of the flush: the transactions' ballots together (a message per
   * transaction cost the JetStream server more than the ballots did). Its id is the last
   * transaction's commit position, so a flush sent again as it was is stored once; a re-send
   * grouped otherwise is appended once by audit anyway.
   */
  private messagesOf(transactions: CommittedTransaction[]): BallotsMessage[] {
    const byElection = new Map<string, { ballots: CountedBallot[]; voids: VoidedBallot[]; last: CommittedTransaction }>();
    const groupOf = (electionId: string, tx: CommittedTransaction) => {
      let group = byElection.get(electionId);
      if (!group) byElection.set(electionId, (group = { ballots: [], voids: [], last: tx }));
      group.last = tx;
      return group;
    };
    for (const tx of transactions) {
      for (const b of tx.ballots) groupOf(b.electionId, tx).ballots.push(b);
      // A void's transaction commits after its ballot's: in a message, voids follow the ballots.
      for (const v of tx.voids) groupOf(v.electionId, tx).voids.push(v);
    }
    return [...byElection].map(([electionId, { ballots, voids, last }]) => {
      const lsn = bigIntToLsn(last.commitLsn);
      return this.message(electionId, `${this.idPrefix}${lsn}:${electionId}`, {
        commitLsn: lsn,
        committedAt: last.committedAt.toISOString(),
        ballots,
        voids,
      });
    });
  }

  /** The payload is written as text: selections pass through as the JSON PostgreSQL sent. */
  private message(
    electionId: string,
    msgId: string,
    body: Pick<BallotsCounted, 'commitLsn' | 'committedAt'> & { ballots: CountedBallot[]; voids?: VoidedBallot[] },
  ): BallotsMessage {
    const ballots = body.ballots
      .map((b) => `{"receiptId":${JSON.stringify(b.receiptId)},"selections":${b.selections},"countedAt":"${b.countedAt}"}`)
      .join(',');
    const commit = `${this.shard > 0 ? `"shard":${this.shard},` : ''}${body.commitLsn ? `"commitLsn":"${body.commitLsn}",` : ''}`;
    const voids = body.voids?.length
      ? `,"voids":${JSON.stringify(body.voids.map((v) => ({ receiptId: v.receiptId, reason: v.reason, at: v.at })))}`
      : '';
    const payload = `{"v":1,"electionId":${JSON.stringify(electionId)},${commit}"committedAt":"${body.committedAt}","ballots":[${ballots}]${voids}}`;
    return { subject: this.deps.stream.subject(electionId), msgId, payload: encoder.encode(payload) };
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
