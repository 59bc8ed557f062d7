import { appendPlan, type Hash, type Subtree, type SubtreeReader, type SubtreeRef } from './merkle.ts';

/**
 * One election's stored subtrees in memory: the reference the PostgreSQL store is held to, and the
 * store of the domain's unit tests.
 */
export class InMemorySubtrees implements SubtreeReader {
  private readonly hashes = new Map<string, Hash>();
  private leaves = 0;

  get treeSize(): number {
    return this.leaves;
  }

  /** Appends leaf hashes; returns the nodes it stored (each leaf and every parent it completed). */
  append(leafHashes: readonly Hash[]): Subtree[] {
    const plan = appendPlan(this.leaves, leafHashes);
    const nodes = plan.resolve(this.pick(plan.subtrees));
    for (const node of nodes) this.hashes.set(key(node), node.hash);
    this.leaves += leafHashes.length;
    return nodes;
  }

  async read(subtrees: readonly SubtreeRef[]): Promise<readonly Subtree[]> {
    return this.pick(subtrees);
  }

  /** Every stored subtree, for tests that check the store holds exactly the complete ones. */
  stored(): SubtreeRef[] {
    return [...this.hashes.keys()].map((k) => {
      const [level, index] = k.split('/').map(Number);
      return { level: level!, index: index! };
    });
  }

  private pick(subtrees: readonly SubtreeRef[]): Subtree[] {
    const found: Subtree[] = [];
    for (const ref of subtrees) {
      const hash = this.hashes.get(key(ref));
      if (hash) found.push({ level: ref.level, index: ref.index, hash });
    }
    return found;
  }
}

const key = (ref: SubtreeRef) => `${ref.level}/${ref.index}`;
