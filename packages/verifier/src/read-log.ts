import { entriesPageLimit, type AuditClient, type LogEntry } from './audit-client.ts';
import { fail } from './check-failed.ts';
import { LogTree } from './log-tree.ts';
import { leafHash } from './merkle.ts';
import { LogTally } from './tally.ts';
import type { TreeHead } from './tree-head.ts';

/**
 * Fetches every entry the head covers, in pages of at most 1,000, into a tree (every leaf hashed as
 * served) and a tally. Fails on a gap, a repeat, an entry past the head, or a log shorter than it.
 */
export async function readLog(client: AuditClient, head: TreeHead): Promise<{ tree: LogTree; tally: LogTally; pages: number }> {
  const tree = new LogTree();
  const tally = new LogTally(head.electionId);
  let pages = 0;
  const page = (start: number) => client.entries(head.electionId, { start, end: Math.min(start + entriesPageLimit, head.treeSize) });
  let next: Promise<LogEntry[]> | undefined = head.treeSize > 0 ? page(0) : undefined;
  while (next) {
    const start = tree.size;
    const entries = await next;
    pages++;
    if (entries.length === 0) fail(`the log serves only ${start} of the ${head.treeSize} entries the signed head covers`);
    const end = start + entries.length;
    // Fetch the next page while this one is hashed; a server may send fewer than asked for.
    next = end < head.treeSize ? page(end) : undefined;
    next?.catch(() => undefined);
    entries.forEach((entry, i) => {
      const expected = start + i;
      if (entry.leafIndex > expected) {
        fail(`entry ${expected} is missing (the log goes from leafIndex ${expected - 1} to ${entry.leafIndex})`);
      }
      if (entry.leafIndex < expected) {
        fail(`entry ${entry.leafIndex} is served again or out of order, after leafIndex ${expected - 1}`);
      }
      if (entry.leafIndex >= head.treeSize) fail(`the log serves entry ${entry.leafIndex}, past the signed size ${head.treeSize}`);
    });
    await tree.append(await Promise.all(entries.map((entry) => leafHash(entry.leaf))));
    for (const entry of entries) tally.add(entry.leafIndex, entry.leaf);
  }
  return { tree, tally, pages };
}
