import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  audienceOnOneAddress,
  BenchIssuer,
  createOpenElection,
  type LoadState,
  type OpenElection,
  provisionVoters,
  runLoad,
  type Verification,
  verify,
} from '@onevote/bench';
import { withPostgresUrl } from '@onevote/platform/postgres-url';
import { GiveUp, type Infra, type MonitoringOptions, type Stack, startStack, waitFor } from '@onevote/stack';

export interface ScenarioContext {
  stack: Stack;
  election: OpenElection;
  /** The token issuer the stack trusts in this scenario (bench mode). */
  issuer: BenchIssuer;
  /** The database as a superuser (to hold locks, read ballots). */
  adminUrl: string;
}

export interface ScenarioResult {
  name: string;
  sent: number;
  acknowledged: number;
  counted: number;
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
  /** Servers shared with other scenarios (the cluster topology); by default the stack starts its own. */
  infra?: Infra;
  /** The stack's database (default `onevote`); scenarios sharing `infra` each use their own. */
  database?: string;
  /**
   * The stack's directory (default: a new one). A scenario that reuses another's database must
   * reuse its directory too: the dev secrets there encrypt what the services stored.
   */
  dir?: string;
  /** Also run Prometheus and the exporters on the scenario's stack (`stack.monitoring`). */
  monitoring?: MonitoringOptions;
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
  // A stack that fails to start must not leave the issuer's server holding the process open.
  const stack = await startStack({
    dir,
    portMode: 'random',
    logTo: 'files',
    seed: false,
    logLevel: 'warn',
    extraIssuers: [issuer.trustEntry],
    extraEnv: { ...audienceOnOneAddress, ...o.extraEnv },
    ...(o.monitoring ? { monitoring: o.monitoring } : {}),
    ...(o.infra ? { infra: o.infra } : {}),
    ...(o.database ? { database: o.database } : {}),
  }).catch(async (err: unknown) => {
    await issuer.stop();
    throw err;
  });
  try {
    const election = await createOpenElection(stack.gatewayUrl, issuer);
    // withPostgresUrl: a shard group's URL names several hosts (its primary and standby).
    const adminUrl = withPostgresUrl(stack.infra.postgresAdminUrl, { database: stack.database });
    const ctx: ScenarioContext = { stack, election, issuer, adminUrl };
    await o.prepare?.(ctx);
    const voters = provisionVoters(issuer, Math.ceil(o.rate * o.loadSeconds * 1.2) + 50, 'onevote', 900);

    const load = runLoad({
      baseUrls: o.targets?.(ctx) ?? [stack.gatewayUrl],
      electionId: election.id,
      questionId: election.questionId,
      optionIds: election.optionIds,
      voters,
      durationSeconds: o.loadSeconds,
      concurrency: 16,
      rate: o.rate,
      duplicateShare: 0.1,
      retryShare: 0.05,
    });
    await new Promise((r) => setTimeout(r, o.faultAt * 1000));
    await o.fault(ctx);
    const faultEnded = Date.now();
    const recover = o.mustRecover?.(ctx) ?? [...stack.services.values()].map((s) => ({ name: s.def.name, url: s.opsUrl }));
    await Promise.all(recover.map((service) => waitRecovered(stack, service)));
    const recoverySeconds = (Date.now() - faultEnded) / 1000;
    const state = await load;
    const verification = await verify(ctx.adminUrl, election.id, state.receipts);
    await o.check?.(ctx, state);
    await o.afterLoad?.(ctx, verification);
    return {
      name: o.name,
      sent: state.sent,
      acknowledged: state.receipts.size,
      counted: verification.ballotRows,
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
    await issuer.stop();
  }
}

/** Waits for a service to answer /readyz again; if it does not, the error carries the end of its log. */
async function waitRecovered(stack: Stack, { name, url }: { name: string; url: string }) {
  const proc = [...stack.services.values()].find((s) => s.def.name === name)?.process;
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
