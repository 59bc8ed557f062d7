import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  audienceOnOneAddress,
  BenchIssuer,
  createOpenElection,
  type LoadOptions,
  type LoadState,
  type OpenElection,
  provisionVoters,
  runLoad,
  type Verification,
  verify,
} from '@onevote/bench';
import { natsNames } from '@onevote/contracts';
import {
  GiveUp,
  type Infra,
  type InfraOptions,
  type MonitoringOptions,
  type Stack,
  type StackOptions,
  shardDatabaseAdminUrls,
  startInfra,
  startStack,
  waitFor,
} from '@onevote/stack';

export interface ScenarioContext {
  stack: Stack;
  election: OpenElection;
  /** The token issuer the stack trusts in this scenario (bench mode). */
  issuer: BenchIssuer;
  /** The database as a superuser (to hold locks, read ballots); on shard group 0. */
  adminUrl: string;
  /** The database as a superuser on every vote shard group (index = group; one without shards). */
  adminUrls: string[];
}

export interface ScenarioResult {
  name: string;
  sent: number;
  acknowledged: number;
  counted: number;
  /** Ballot rows per vote shard group (index = group), each checked on its group. */
  countedPerShard: number[];
  lost: number;
  doubleCounted: number;
  undercounted: number;
  wrongVoter: number;
  contractViolations: number;
  serverErrors: number;
  unsettled: number;
  errors: Record<string, number>;
  /** From the first to the last failed attempt (503 or no connection). */
  unavailableSeconds: number;
  /** From the end of the fault until every service answered /readyz. */
  recoverySeconds: number;
  /** Answers per second of the run, by status (see LoadState.timeline). */
  timeline: Record<string, Record<string, number>>;
}

export interface ScenarioOptions {
  name: string;
  /** Seconds of load in all; the fault starts after `faultAt` seconds. */
  loadSeconds: number;
  faultAt: number;
  rate: number;
  /** Ballots go to these (default: the gateway). */
  targets?: (ctx: ScenarioContext) => string[];
  /** Injects the fault and returns when it is over (servers back up, or left down on purpose). */
  fault: (ctx: ScenarioContext) => Promise<void>;
  /** Runs before the load (e.g. a second replica). */
  prepare?: (ctx: ScenarioContext) => Promise<void>;
  /** Services expected to be serving again after the fault. */
  /** Services whose operations listener (`url`) must answer /readyz again after the fault. */
  mustRecover?: (ctx: ScenarioContext) => { name: string; url: string }[];
  extraEnv?: NodeJS.ProcessEnv;
  /** Server families in their cluster form (issue 18), e.g. `{ redis: true }` for a Redis Cluster. */
  cluster?: InfraOptions['cluster'];
  /** Processes per service (issue 18: `clusterReplicas`, two of each behind the gateway). */
  replicas?: StackOptions['replicas'];
  /** The stack's database (default `onevote`); scenarios sharing `infra` each use their own. */
  database?: string;
  /**
   * The stack's directory (default: a new one). A scenario that reuses another's database must
   * reuse its directory too: the dev secrets there encrypt what the services stored.
   */
  dir?: string;
  /** Also run Prometheus and the exporters on the scenario's stack (`stack.monitoring`). */
  monitoring?: MonitoringOptions;
  /** Servers to run on instead of private ones (a cluster topology: `startInfra({ cluster })`); the caller stops them. */
  infra?: Infra;
  /** Vote shard groups of the scenario's own servers (plain PostgreSQL each; default 1). */
  postgresShards?: number;
  /** Told of every answer to a ballot (voter, status, latency), for figures per shard group. */
  onAnswer?: LoadOptions['onAnswer'];
  /**
   * Splits the audience into `count` crowds (by `of(voterId)`, e.g. the vote shard group), each with
   * its own share of the rate, connections and retry queue, as separate clients would be: one
   * crowd's retries then never crowd out another's fresh ballots.
   */
  crowds?: { count: number; of: (voterId: string) => number };
  /** Checks on the live stack after the load, before it is stopped. */
  check?: (ctx: ScenarioContext, state: LoadState) => Promise<void>;
  /** Checks after the database was verified (the audit log against the ballot rows). */
  afterLoad?: (ctx: ScenarioContext, verification: Verification) => Promise<void>;
}

/**
 * One fault scenario: a private stack (its own PostgreSQL, Redis and NATS, so killing them harms no
 * other test), an open election, steady load through the public API while the fault happens, then
 * the invariants checked from the database.
 */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult & { verification: Verification; load: LoadState }> {
  const dir = o.dir ?? mkdtempSync(join(process.env.ONEVOTE_TEST_DIR ?? tmpdir(), 'chaos-'));
  const issuer = await BenchIssuer.start();
  // The cluster topology: the servers are started here (as the stack would, with its NATS names)
  // and handed to the stack, which then leaves stopping them to us.
  const ownInfra = o.cluster && !o.infra
    ? await startInfra({
        dir,
        env: process.env,
        cluster: o.cluster,
        natsNames: {
          bucket: natsNames.electionsBucket,
          ballotsStream: natsNames.ballotsStream,
          eventsStream: natsNames.electionEventsStream,
        },
      }).catch(async (err: unknown) => {
        await issuer.stop();
        throw err;
      })
    : undefined;
  // A stack that fails to start must not leave the issuer's server (or servers of ours) holding the process open.
  const stack = await startStack({
    dir,
    portMode: 'random',
    logTo: 'files',
    seed: false,
    logLevel: 'warn',
    extraIssuers: [issuer.trustEntry],
    extraEnv: { ...audienceOnOneAddress, ...o.extraEnv },
    ...(o.monitoring ? { monitoring: o.monitoring } : {}),
    ...(o.postgresShards ? { postgresShards: o.postgresShards } : {}),
    ...(o.replicas ? { replicas: o.replicas } : {}),
    ...(o.infra ? { infra: o.infra } : ownInfra ? { infra: ownInfra } : {}),
    ...(o.database ? { database: o.database } : {}),
  }).catch(async (err: unknown) => {
    await ownInfra?.stop();
    await issuer.stop();
    throw err;
  });
  try {
    const election = await createOpenElection(stack.gatewayUrl, issuer);
    const adminUrls = shardDatabaseAdminUrls(stack.infra, stack.database);
    const ctx: ScenarioContext = { stack, election, issuer, adminUrl: adminUrls[0]!, adminUrls };
    await o.prepare?.(ctx);
    const voters = provisionVoters(issuer, Math.ceil(o.rate * o.loadSeconds * 1.2) + 50, 'onevote', 900);

    const crowds = o.crowds?.count ?? 1;
    const load = Promise.all(
      Array.from({ length: crowds }, (_, crowd) =>
        runLoad({
          baseUrls: o.targets?.(ctx) ?? [stack.gatewayUrl],
          electionId: election.id,
          questionId: election.questionId,
          optionIds: election.optionIds,
          voters: o.crowds ? voters.filter((v) => o.crowds!.of(v.voterId) === crowd) : voters,
          durationSeconds: o.loadSeconds,
          concurrency: Math.max(1, Math.round(16 / crowds)),
          rate: o.rate / crowds,
          duplicateShare: 0.1,
          retryShare: 0.05,
          ...(o.onAnswer ? { onAnswer: o.onAnswer } : {}),
        }),
      ),
    ).then(mergeLoads);
    await new Promise((r) => setTimeout(r, o.faultAt * 1000));
    await o.fault(ctx);
    const faultEnded = Date.now();
    // Every replica of every service by default (`vote-api-2` names a second one).
    const recover =
      o.mustRecover?.(ctx) ?? [...stack.replicas.values()].flat().map((s) => ({ name: s.process.spec.name, url: s.opsUrl }));
    await Promise.all(recover.map((service) => waitRecovered(stack, service)));
    const recoverySeconds = (Date.now() - faultEnded) / 1000;
    const state = await load;
    // Checked from every vote shard group.
    const verification = await verify(ctx.adminUrls, election.id, state.receipts);
    await o.check?.(ctx, state);
    await o.afterLoad?.(ctx, verification);
    return {
      name: o.name,
      sent: state.sent,
      acknowledged: state.receipts.size,
      counted: verification.ballotRows,
      countedPerShard: verification.perShard,
      lost: verification.lost,
      doubleCounted: verification.doubleCounted,
      undercounted: verification.undercounted,
      wrongVoter: verification.wrongVoter,
      contractViolations: state.contractViolations,
      serverErrors: state.serverErrors,
      unsettled: state.unsettled,
      errors: state.errors,
      unavailableSeconds:
        state.firstFailureAt && state.lastFailureAt ? Math.round((state.lastFailureAt - state.firstFailureAt) / 100) / 10 : 0,
      recoverySeconds: Math.round(recoverySeconds * 10) / 10,
      timeline: state.timeline,
      verification,
      load: state,
    };
  } finally {
    await stack.stop();
    await ownInfra?.stop();
    await issuer.stop();
  }
}

/** One audience's figures from its crowds' (counts summed, receipts joined, failure span widened). */
function mergeLoads(states: LoadState[]): LoadState {
  if (states.length === 1) return states[0]!;
  const [first, ...rest] = states as [LoadState, ...LoadState[]];
  const merged: LoadState = { ...first, receipts: new Map(first.receipts), errors: { ...first.errors }, countedAt: [...first.countedAt], timeline: {} };
  for (const state of [first, ...rest]) {
    for (const [second, statuses] of Object.entries(state.timeline)) {
      const slot = (merged.timeline[second] ??= {});
      for (const [status, n] of Object.entries(statuses)) slot[status] = (slot[status] ?? 0) + n;
    }
  }
  for (const s of rest) {
    merged.sent += s.sent;
    merged.counted += s.counted;
    for (const [voter, receipt] of s.receipts) merged.receipts.set(voter, receipt);
    for (const [status, n] of Object.entries(s.errors)) merged.errors[status] = (merged.errors[status] ?? 0) + n;
    merged.contractViolations += s.contractViolations;
    merged.serverErrors += s.serverErrors;
    merged.duplicates409 += s.duplicates409;
    merged.retries201 += s.retries201;
    merged.unsettled += s.unsettled;
    merged.countedAt.push(...s.countedAt);
    const failures = [merged.firstFailureAt, s.firstFailureAt].filter((t): t is number => t !== undefined);
    merged.firstFailureAt = failures.length ? Math.min(...failures) : undefined;
    const lasts = [merged.lastFailureAt, s.lastFailureAt].filter((t): t is number => t !== undefined);
    merged.lastFailureAt = lasts.length ? Math.max(...lasts) : undefined;
  }
  return merged;
}

/** Waits for a service to answer /readyz again; if it does not, the error carries the end of its log. */
async function waitRecovered(stack: Stack, { name, url }: { name: string; url: string }) {
  const proc = [...stack.replicas.values()].flat().find((s) => s.process.spec.name === name)?.process;
  try {
    await waitFor(
      `${name} to be ready again`,
      async () => {
        if (proc && !proc.running) throw new GiveUp(`${name} exited with code ${await proc.exited}`);
        return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- the end of ${name}'s log ---\n${proc?.logTail() || '(no log)'}`);
  }
}
