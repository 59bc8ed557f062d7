/**
 * The public audit log end to end (issue 15), on the whole stack as separate processes: ballots cast
 * through the public API reach the log through PostgreSQL -> relay -> JetStream -> audit, and the
 * independent verifier (packages/verifier) checks it: every inclusion proof, consistency between the
 * heads it saw, the tally against the results, and tampering with what audit stores.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adminClient, BenchIssuer, createOpenElection, type OpenElection, provisionVoters, runLoad } from '@onevote/bench';
import { repoRoot, type Stack } from '@onevote/stack';
import { startTestStack, waitFor } from '@onevote/stack/testing';
import {
  checkReceiptInclusion,
  createAuditClient,
  fromBase64Url,
  type TreeHead,
  verifyConsistency,
  verifyTreeHeadSignature,
} from '@onevote/verifier';
import postgres from 'postgres';

const issuer = await BenchIssuer.start();
after(() => issuer.stop());
const stack: Stack = await startTestStack({
  extraIssuers: [issuer.trustEntry],
  extraEnv: { RATE_PER_IP: '1000000', RISK_SUBNET_VOTERS_CHALLENGE: '0', RISK_IP_VELOCITY_CHALLENGE: '0', HEAD_INTERVAL_MS: '200' },
});
const gateway = stack.gatewayUrl;
const client = createAuditClient({ url: gateway });
const admin = () => {
  const url = new URL(stack.infra.postgresAdminUrl);
  url.pathname = `/${stack.database}`;
  return postgres(url.toString(), { max: 1, onnotice: () => {} });
};

/** The verifier CLI as a user runs it; returns its exit code and output. */
function verifier(electionId: string, ...extra: string[]) {
  const state = join(mkdtempSync(join(tmpdir(), 'verify-state-')), 'state.json');
  const run = (more: string[] = []) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'packages/verifier/src/cli.ts'), '--url', gateway, '--election', electionId, '--state', state, ...extra, ...more], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
  return { run, state };
}

describe('the public audit log', () => {
  let election: OpenElection;
  const receipts = new Map<string, string>();
  const heads: TreeHead[] = [];

  before(async () => {
    election = await createOpenElection(gateway, issuer);
    const load = runLoad({
      baseUrls: [gateway],
      electionId: election.id,
      questionId: election.questionId,
      optionIds: election.optionIds,
      voters: provisionVoters(issuer, 400, 'onevote', 900),
      durationSeconds: 4,
      concurrency: 8,
      rate: 60,
      duplicateShare: 0.1,
      retryShare: 0.05,
    });
    // Heads seen while ballots arrive, for the consistency checks.
    const watching = (async () => {
      for (let i = 0; i < 40; i++) {
        const head = await client.head(election.id).catch(() => undefined);
        if (head && head.treeSize !== heads.at(-1)?.treeSize) heads.push(head);
        await new Promise((r) => setTimeout(r, 150)); // sampling interval, not a wait for a condition
      }
    })();
    const state = await load;
    await watching;
    for (const [voter, receipt] of state.receipts) receipts.set(voter, receipt);
    assert.ok(receipts.size > 100, `only ${receipts.size} ballots counted`);
  });

  test('every counted ballot is in a signed head, once, with an inclusion proof the verifier accepts', async () => {
    // created + opened events, and every ballot counted in PostgreSQL (which may be a few more than
    // the 201s: a ballot committed after its request timed out is counted and retried by key).
    const sql = admin();
    const [{ n }] = (await sql`select count(*)::int as n from votes.ballots where election_id = ${election.id}`) as unknown as [{ n: number }];
    await sql.end();
    assert.ok(n >= receipts.size);
    await waitFor('every ballot in a signed head', async () => (await client.head(election.id)).treeSize === n + 2, {
      timeoutMs: 20_000,
    });
    const head = await client.head(election.id);
    heads.push(head);
    const keys = await client.keys();
    assert.equal((await verifyTreeHeadSignature(head, keys)).ok, true);
    for (const receiptId of receipts.values()) {
      const proof = await client.proof(election.id, { receiptId, treeSize: head.treeSize });
      const check = await checkReceiptInclusion({ receiptId, proof, head });
      assert.ok(check.ok, `receipt ${receiptId}: ${check.ok ? '' : check.message}`);
    }
  });

  test('a consistency proof between every two heads seen verifies', async () => {
    assert.ok(heads.length >= 3, `only ${heads.length} heads seen`);
    for (let i = 0; i < heads.length; i++) {
      for (let j = i; j < heads.length; j++) {
        const [a, b] = [heads[i]!, heads[j]!];
        const { proof } = await client.consistency(election.id, { from: a.treeSize, to: b.treeSize });
        const ok = await verifyConsistency({
          fromSize: a.treeSize,
          toSize: b.treeSize,
          fromRoot: fromBase64Url(a.rootHash)!,
          toRoot: fromBase64Url(b.rootHash)!,
          proof: proof.map((h) => fromBase64Url(h)!),
        });
        assert.ok(ok, `consistency ${a.treeSize} -> ${b.treeSize}`);
      }
    }
  });

  test('after the close a final head is signed, and the verifier CLI passes: tally from the log equals the results', async () => {
    await adminClient(gateway, issuer)('POST', `/v1/elections/${election.id}/close`);
    await waitFor('the final head', async () => (await client.head(election.id)).final, { timeoutMs: 20_000 });
    const { run } = verifier(election.id, '--receipt', [...receipts.values()][0]!);
    const result = run();
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /PASS tally/);
    assert.match(result.stdout, /PASS receipt/);
  });

  test('tampering with a stored leaf or a stored subtree hash makes the verifier exit 1 naming the problem', async () => {
    const sql = admin();
    try {
      const { run } = verifier(election.id);
      assert.equal(run().status, 0, 'first run remembers the head');
      // One ballot's selections rewritten in place.
      const [row] = await sql`select leaf_index, leaf from audit.leaves where election_id = ${election.id} and kind = 'ballot' order by leaf_index limit 1 offset 3`;
      const original = row!.leaf as Buffer;
      const leaf = JSON.parse(original.toString('utf8')) as { selections: { optionIds: string[] }[] };
      const chosen = leaf.selections[0]!.optionIds[0]!;
      leaf.selections[0]!.optionIds[0] = election.optionIds.find((o) => o !== chosen)!;
      const changed = Buffer.from(JSON.stringify(leaf), 'utf8');
      assert.notDeepEqual(changed, original);
      await sql`update audit.leaves set leaf = ${changed} where election_id = ${election.id} and leaf_index = ${row!.leaf_index}`;
      const altered = run();
      assert.equal(altered.status, 1, altered.stdout);
      assert.match(`${altered.stdout}${altered.stderr}`, new RegExp(`entry ${row!.leaf_index}|root`));
      await sql`update audit.leaves set leaf = ${original} where election_id = ${election.id} and leaf_index = ${row!.leaf_index}`;
      assert.equal(run().status, 0, 'restored, it verifies again');

      // A stored subtree hash changed (the copy of a leaf's hash the proofs are built from): the
      // inclusion proof of its sibling then leads to another root than the signed one.
      const byHash = new Map([...receipts.values()].map((r) => [createHash('sha256').update(r).digest('base64url'), r]));
      const ballots = await sql`select leaf_index, leaf from audit.leaves where election_id = ${election.id} and kind = 'ballot' order by leaf_index`;
      const indexOf = new Map(ballots.map((b) => [Number(b.leaf_index), JSON.parse((b.leaf as Buffer).toString('utf8')).ballot as string]));
      const k = [...indexOf.keys()].find((i) => indexOf.has(i ^ 1))!;
      const siblingReceipt = byHash.get(indexOf.get(k ^ 1)!)!;
      const [node] = await sql`select leaf_hash from audit.leaves where election_id = ${election.id} and leaf_index = ${k}`;
      const flipped = Buffer.from(node!.leaf_hash as Buffer);
      flipped[0]! ^= 1;
      await sql`update audit.leaves set leaf_hash = ${flipped} where election_id = ${election.id} and leaf_index = ${k}`;
      const corrupted = verifier(election.id, '--receipt', siblingReceipt).run();
      assert.equal(corrupted.status, 1, corrupted.stdout);
      assert.match(`${corrupted.stdout}${corrupted.stderr}`, /FAIL receipt/);
      await sql`update audit.leaves set leaf_hash = ${node!.leaf_hash} where election_id = ${election.id} and leaf_index = ${k}`;
      assert.equal(verifier(election.id, '--receipt', siblingReceipt).run().status, 0, 'restored, it verifies again');
    } finally {
      await sql.end();
    }
  });
});

describe('rotating the tree-head signing key', () => {
  test('heads signed before a rotation still verify; later heads use the new key; /v1/audit/keys lists both', async () => {
    const election = await createOpenElection(gateway, issuer);
    const voters = provisionVoters(issuer, 60, 'onevote', 900);
    const cast = (slice: typeof voters) =>
      runLoad({
        baseUrls: [gateway],
        electionId: election.id,
        questionId: election.questionId,
        optionIds: election.optionIds,
        voters: slice,
        durationSeconds: 1,
        concurrency: 4,
        rate: 30,
        duplicateShare: 0,
        retryShare: 0,
      });
    const first = await cast(voters.slice(0, 30));
    await waitFor('the first ballots in a signed head', async () => (await client.head(election.id).catch(() => undefined))?.treeSize === first.counted + 2, {
      timeoutMs: 20_000,
    });
    const before = await client.head(election.id);
    const keysBefore = await client.keys();

    // The operator's command, with the service's own environment.
    const audit = stack.services.get('audit')!;
    const rotate = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'services/audit/src/cli.ts'), 'rotate-key'], {
      env: audit.env,
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(rotate.status, 0, rotate.stderr);

    const second = await cast(voters.slice(30));
    await waitFor('a head signed with the new key', async () => {
      const head = await client.head(election.id);
      return head.treeSize === first.counted + second.counted + 2 && head.keyId !== before.keyId;
    }, { timeoutMs: 20_000 });
    const after = await client.head(election.id);

    const keys = (await client.keys()) as (Awaited<ReturnType<typeof client.keys>>[number] & { status?: string })[];
    assert.equal(keys.length, keysBefore.length + 1);
    assert.equal(keys.find((k) => k.kid === before.keyId)?.status, 'retired');
    assert.equal(keys.find((k) => k.kid === after.keyId)?.status, 'current');
    assert.equal(keys.filter((k) => k.status === 'current').length, 1);
    assert.equal((await verifyTreeHeadSignature(before, keys)).ok, true, 'the old head verifies with the retired key');
    assert.equal((await verifyTreeHeadSignature(after, keys)).ok, true);
    // A head is never accepted under the wrong key.
    assert.equal((await verifyTreeHeadSignature({ ...after, keyId: before.keyId }, keys)).ok, false);
    const { proof } = await client.consistency(election.id, { from: before.treeSize, to: after.treeSize });
    assert.ok(
      await verifyConsistency({
        fromSize: before.treeSize,
        toSize: after.treeSize,
        fromRoot: fromBase64Url(before.rootHash)!,
        toRoot: fromBase64Url(after.rootHash)!,
        proof: proof.map((h) => fromBase64Url(h)!),
      }),
    );
  });
});
