import { randomUUID } from 'node:crypto';
import { AppError } from '@onevote/platform';
import type { ElectionRepository, HistoryEntry, StoredElection } from '../adapters/election.repository.ts';
import {
  changesBetween,
  type DefinitionInput,
  defineElection,
  type Election,
  type ElectionStatus,
  InvalidDefinition,
} from '../domain/election.ts';
import { isEditable, type Transition, transitionRule } from '../domain/lifecycle.ts';
import type { Propagation } from './propagation.ts';

/** Who asks: an admin's voter id, or a system actor ("scheduler", "seed"). */
export interface Caller {
  actor: string;
  isAdmin: boolean;
}

const listLimit = 500;

/**
 * One function per operation on elections, shared by the HTTP routes, the scheduler and the CLI.
 * Each change commits the row and its history entry in one transaction, then publishes.
 */
export class Elections {
  constructor(
    private readonly repository: ElectionRepository,
    private readonly propagation: Propagation,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async create(
    input: DefinitionInput,
    caller: Caller,
    options: { seedKey?: string } = {},
  ): Promise<Election> {
    const definition = define(input, undefined, this.clock());
    const id = randomUUID();
    const stored = await this.repository.transaction(async (tx) => {
      const created = await this.repository.insert(tx, id, definition, options.seedKey);
      await this.repository.record(tx, [
        { electionId: id, actor: caller.actor, action: 'create', changes: { ...definition } },
      ]);
      return created;
    });
    await this.propagation.afterCommit(id);
    return stored.election;
  }

  async edit(id: string, input: DefinitionInput, caller: Caller): Promise<Election> {
    const stored = await this.repository.transaction(async (tx) => {
      const current = await this.repository.findForUpdate(tx, id);
      if (!current) throw new AppError('not_found', { detail: 'No such election' });
      if (!isEditable(current.election.status)) throw new AppError('not_draft');
      const next = define(input, current.election, this.clock());
      const changes = changesBetween(current.election, next);
      if (Object.keys(changes).length === 0) return current;
      const updated = await this.repository.update(tx, id, next);
      await this.repository.record(tx, [{ electionId: id, actor: caller.actor, action: 'edit', changes }]);
      return updated;
    });
    await this.propagation.afterCommit(id);
    return stored.election;
  }

  async remove(id: string, caller: Caller): Promise<void> {
    await this.repository.transaction(async (tx) => {
      const current = await this.repository.findForUpdate(tx, id);
      if (!current) throw new AppError('not_found', { detail: 'No such election' });
      if (!isEditable(current.election.status)) throw new AppError('not_draft');
      await this.repository.markDeleted(tx, id);
      await this.repository.record(tx, [
        { electionId: id, actor: caller.actor, action: 'delete', changes: { title: current.election.title } },
      ]);
    });
    await this.propagation.afterCommit(id);
  }

  open(id: string, caller: Caller): Promise<Election> {
    return this.transition(id, 'open', caller);
  }

  close(id: string, caller: Caller): Promise<Election> {
    return this.transition(id, 'close', caller);
  }

  private async transition(id: string, transition: Transition, caller: Caller): Promise<Election> {
    const { from, to } = transitionRule(transition);
    const moved = await this.repository.transaction(async (tx) => {
      const before = await this.repository.findForUpdate(tx, id);
      const done = before && (await this.repository.transition(tx, id, from, to));
      if (done) await this.repository.record(tx, [statusEntry(done, transition, from, caller.actor, before)]);
      return done;
    });
    if (!moved) {
      const current = await this.repository.find(id);
      if (!current || !visible(current, caller))
        throw new AppError('not_found', { detail: 'No such election' });
      throw new AppError('invalid_transition', {
        detail: `cannot ${transition} an election that is ${current.election.status}`,
      });
    }
    await this.propagation.afterCommit(id);
    return moved.election;
  }

  /**
   * Opens every draft whose opensAt has come and closes every open election whose closesAt has
   * come. Safe to run on every replica at once: each election moves in exactly one of them.
   */
  async applySchedule(): Promise<{ opened: string[]; closed: string[] }> {
    const opened = await this.moveDue('open');
    const closed = await this.moveDue('close');
    return { opened, closed };
  }

  private async moveDue(transition: Transition): Promise<string[]> {
    const { from, to } = transitionRule(transition);
    const moved = await this.repository.transaction(async (tx) => {
      const due = await this.repository.transitionDue(tx, to as 'open' | 'closed', 100);
      await this.repository.record(
        tx,
        due.map((s) => statusEntry(s, transition, from, 'scheduler')),
      );
      return due;
    });
    for (const s of moved) await this.propagation.afterCommit(s.election.id);
    return moved.map((s) => s.election.id);
  }

  async get(id: string, caller: Caller): Promise<Election> {
    const stored = await this.repository.find(id);
    // A draft is not public: to anyone else it does not exist.
    if (!stored || !visible(stored, caller)) throw new AppError('not_found', { detail: 'No such election' });
    return stored.election;
  }

  list(filter: { status?: ElectionStatus }, caller: Caller): Promise<Election[]> {
    const allowed: ElectionStatus[] = caller.isAdmin ? ['draft', 'open', 'closed'] : ['open', 'closed'];
    const statuses = filter.status ? allowed.filter((s) => s === filter.status) : allowed;
    if (statuses.length === 0) return Promise.resolve([]);
    return this.repository.list({ statuses, limit: listLimit });
  }

  async history(id: string) {
    // Deleted elections keep their history: "who deleted it" is the question it answers.
    const stored = await this.repository.find(id, { includeDeleted: true });
    if (!stored) throw new AppError('not_found', { detail: 'No such election' });
    return this.repository.history(id);
  }

  /** The election an export may read (and how many vote shard groups hold its ballots), or the reason it may not. */
  async exportable(id: string): Promise<{ election: Election; shards: number }> {
    const stored = await this.repository.find(id);
    if (!stored) throw new AppError('not_found', { detail: 'No such election' });
    if (stored.election.status !== 'closed') throw new AppError('not_closed');
    return { election: stored.election, shards: stored.shards };
  }
}

function define(input: DefinitionInput, base: Election | undefined, now: Date) {
  try {
    return defineElection(input, base, { now, newId: randomUUID });
  } catch (err) {
    if (err instanceof InvalidDefinition) throw new AppError('invalid_request', { detail: err.message });
    throw err;
  }
}

function visible(stored: StoredElection, caller: Caller): boolean {
  return stored.election.status !== 'draft' || caller.isAdmin;
}

function statusEntry(
  stored: StoredElection,
  action: Transition,
  from: ElectionStatus,
  actor: string,
  before?: StoredElection,
): HistoryEntry {
  const changes: Record<string, unknown> = { status: { from, to: stored.election.status } };
  // A transition by hand pinned its time: the history says what it replaced.
  for (const time of ['opensAt', 'closesAt'] as const) {
    if (before && before.election[time] !== stored.election[time]) {
      changes[time] = { from: before.election[time], to: stored.election[time] };
    }
  }
  return { electionId: stored.election.id, actor, action, changes };
}
