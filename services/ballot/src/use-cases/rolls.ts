import { emailHasher } from '@onevote/auth';
import { AppError, type Logger } from '@onevote/platform';
import type { ElectionRepository } from '../adapters/election.repository.ts';
import type { RollRepository } from '../adapters/roll.repository.ts';
import type { RollSet } from '../adapters/roll-set.ts';
import { parseRollLine } from '../domain/roll.ts';
import type { Caller } from './elections.ts';

/** Hashes per INSERT while an upload is read. */
const batchSize = 5_000;

export interface RollUploaded {
  size: number;
  added: number;
  invalid: number;
}

/**
 * Voter rolls (API.md, "Eligibility and verified identity"): an upload is read line by line and
 * hashed as it streams in (memory holds one batch, whatever the roll's size), written to PostgreSQL
 * in one transaction, then copied to Redis for vote-api. The Redis copy is rebuilt from PostgreSQL
 * whenever it is missing or stale (`sync`, run by the scheduler).
 */
export class Rolls {
  private readonly hash: (email: string) => string;

  constructor(
    private readonly rolls: RollRepository,
    private readonly elections: Pick<ElectionRepository, 'record'>,
    private readonly set: RollSet,
    private readonly logger: Logger,
    private readonly options: { emailHashKey: string; maxLines: number },
  ) {
    this.hash = emailHasher(options.emailHashKey);
  }

  /** A wrong id or a closed election, refused before a line is read. */
  private async assertReplaceable(electionId: string): Promise<void> {
    const state = await this.rolls.state(electionId);
    if (!state) throw new AppError('not_found', { detail: 'No such election' });
    if (state.status === 'closed') throw new AppError('invalid_transition', { detail: 'The election is closed: its roll can no longer change' });
  }

  async replace(electionId: string, lines: AsyncIterable<string>, caller: Caller): Promise<RollUploaded> {
    await this.assertReplaceable(electionId);
    const { version, ...result } = await this.rolls.upload(async (tx, version) => {
      let size = 0;
      let invalid = 0;
      let count = 0;
      let first = true;
      let batch: string[] = [];
      for await (const raw of lines) {
        const line = parseRollLine(raw, first);
        first = false;
        if (line.kind === 'blank' || line.kind === 'header') continue;
        if (++count > this.options.maxLines) {
          throw new AppError('invalid_request', { detail: `A roll has at most ${this.options.maxLines.toLocaleString('en')} lines` });
        }
        if (line.kind === 'invalid') {
          invalid++;
          continue;
        }
        batch.push(this.hash(line.email));
        if (batch.length === batchSize) {
          size += await this.rolls.add(tx, electionId, version, batch);
          batch = [];
        }
      }
      if (batch.length) size += await this.rolls.add(tx, electionId, version, batch);

      // Checked again under the row lock: the election may have closed while the body streamed in.
      const state = await this.rolls.lockState(tx, electionId);
      if (!state) throw new AppError('not_found', { detail: 'No such election' });
      if (state.status === 'closed') throw new AppError('invalid_transition', { detail: 'The election closed during the upload' });
      const added = state.version ? await this.rolls.countNew(tx, electionId, version, state.version) : size;
      await this.rolls.switchTo(tx, electionId, version, size);
      await this.elections.record(tx, [{ electionId, actor: caller.actor, action: 'roll', changes: { size, added, invalid } }]);
      return { version, size, added, invalid };
    });
    // The roll is committed; if Redis does not take it now, `sync` does a moment later.
    await this.load(electionId, version).catch((err) =>
      this.logger.warn({ electionId, err: (err as Error).message }, 'roll not copied to Redis yet; sync will retry'),
    );
    return result;
  }

  async summary(electionId: string): Promise<{ size: number; voted: number }> {
    const state = await this.rolls.state(electionId);
    if (!state) throw new AppError('not_found', { detail: 'No such election' });
    // Summed over the election's vote shard groups: one that does not answer makes it a 503.
    const voted = await this.rolls.ballotsCounted(electionId, state.shards).catch((err: unknown) => {
      throw new AppError('unavailable', { detail: 'the ballot count is unavailable', retryAfter: 1, cause: err });
    });
    return { size: state.size, voted };
  }

  /** Puts back every live roll Redis lacks or holds an older version of (a flush, a restore, a lost race). */
  async sync(): Promise<number> {
    let loaded = 0;
    for (const { electionId, version } of await this.rolls.live()) {
      if (await this.set.holds(electionId, version)) continue;
      await this.load(electionId, version);
      this.logger.info({ electionId, version }, 'voter roll copied to Redis');
      loaded++;
    }
    return loaded;
  }

  private load(electionId: string, version: number): Promise<void> {
    return this.set.load(electionId, version, this.rolls.members(electionId, version));
  }
}
