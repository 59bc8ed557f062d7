/** What a fault scenario checks of the public audit log once the load is over. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, type Verification } from '@onevote/bench';
import { repoRoot, waitFor } from '@onevote/stack';
import type { ScenarioContext } from './scenario.ts';

interface Head {
  treeSize: number;
  final: boolean;
}

/**
 * Closes the election, waits for its final head, then runs the independent verifier as a user
 * would. It checks:
 * - the signature;
 * - the root recomputed from every entry;
 * - no ballot twice;
 * - the tally from the log against the results.
 * The test also checks that the ballots in the log are the ballots counted in PostgreSQL.
 */
export async function auditLogHolds(ctx: ScenarioContext, verification: Verification): Promise<void> {
  const gateway = ctx.stack.gatewayUrl;
  const { election } = ctx;
  await adminClient(gateway, ctx.issuer)('POST', `/v1/elections/${election.id}/close`);
  const head = async () => (await (await fetch(`${gateway}/v1/elections/${election.id}/log/head`)).json()) as Head;
  await waitFor('the final tree head', async () => (await head().catch(() => ({ final: false }) as Head)).final, {
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  const results = (await (await fetch(`${gateway}/v1/elections/${election.id}/results`)).json()) as { totalBallots: number };
  assert.equal(results.totalBallots, verification.ballotRows, 'results count every ballot row');
  // The log holds those ballots and three events: created, opened, closed.
  assert.equal((await head()).treeSize, verification.ballotRows + 3, 'one leaf per counted ballot, no more');
  const state = join(mkdtempSync(join(tmpdir(), 'verify-')), 'state.json');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'packages/verifier/src/cli.ts'), '--url', gateway, '--election', election.id, '--state', state],
    { encoding: 'utf8', cwd: repoRoot },
  );
  assert.equal(run.status, 0, `the verifier failed:\n${run.stdout}\n${run.stderr}`);
}
