import { Readable } from 'node:stream';
import { solveAltcha } from '@onevote/auth/client';
import type { Stack } from '@onevote/stack';
import type { Component } from './cpu.ts';
import { type BenchIssuer, mintToken } from './issuer.ts';
import { accessTokenHash, dpopProof, newVoterKey } from './signer.ts';
import type { Voter } from './voters.ts';

/**
 * Bench mode's configuration: a whole audience arrives from one loopback address and, in the
 * bench, one process, so the per-IP limit and the per-network risk rules are raised to their
 * maximum (never switched off in code). Per-voter and per-key limits stay as they are. At
 * saturation Redis can miss the vote path's deadline; the bench measures ballots, not the
 * challenge that unknown signals otherwise ask for, so it lets them through.
 */
export const audienceOnOneAddress: NodeJS.ProcessEnv = {
  RATE_PER_IP: '10000000',
  RISK_SUBNET_VOTERS_CHALLENGE: '10000000',
  RISK_SUBNET_VOTERS_DENY: '10000000',
  RISK_IP_VELOCITY_CHALLENGE: '10000000',
  RISK_IP_VELOCITY_DENY: '10000000',
  RISK_UNKNOWN_SIGNALS: 'allow',
};

/** Every server process of the stack, for CPU accounting (PostgreSQL as a process tree). */
export function serverComponents(stack: Stack): Component[] {
  const out: Component[] = [];
  // Every replica of each service; the second and later ones as `vote-api#2`, ...
  for (const [name, replicas] of stack.replicas) {
    replicas.forEach((s, i) => s.process.pid && out.push({ name: i === 0 ? name : `${name}#${i + 1}`, pid: s.process.pid, tree: false }));
  }
  const { postgres, redis, nats, redisCluster, natsCluster, postgresGroups, postgresMonitor } = stack.infra.servers;
  // HA shard groups (pg_auto_failover): each node's PostgreSQL as a tree, its keeper, and the monitor.
  for (const [group, g] of (postgresGroups ?? []).entries()) {
    g.nodes.forEach((node, i) => {
      if (node.postmasterPid) out.push({ name: `postgres-g${group}n${i + 1}`, pid: node.postmasterPid, tree: true });
      if (node.pid) out.push({ name: `pg_autoctl-g${group}n${i + 1}`, pid: node.pid, tree: false });
    });
  }
  if (postgresMonitor?.node.postmasterPid) out.push({ name: 'postgres-monitor', pid: postgresMonitor.node.postmasterPid, tree: true });
  if (postgres?.pid) out.push({ name: 'postgres', pid: postgres.pid, tree: true });
  // Vote shard groups 1.. (plain servers of their own), each counted as its own component.
  for (const [group, server] of (stack.infra.servers.postgresShards ?? []).entries()) {
    if (group > 0 && server.pid) out.push({ name: `postgres-shard${group}`, pid: server.pid, tree: true });
  }
  if (redis?.pid) out.push({ name: 'redis', pid: redis.pid, tree: false });
  // A Redis Cluster: each of its 6 nodes (3 primaries, 3 replicas) on its own.
  redisCluster?.nodePids.forEach((pid, i) => pid && out.push({ name: `redis-${i}`, pid, tree: false }));
  if (nats?.pid) out.push({ name: 'nats', pid: nats.pid, tree: false });
  [0, 1, 2].forEach((i) => {
    const pid = natsCluster?.pid(i);
    if (pid) out.push({ name: `nats-${i}`, pid, tree: false });
  });
  return out;
}

export interface OpenElection {
  id: string;
  questionId: string;
  optionIds: string[];
}

/**
 * Calls the public API through `gateway` as an admin of `issuer` (a fresh DPoP proof per call);
 * answers are parsed JSON, and anything but a 2xx throws with the status and body.
 */
export function adminClient(gateway: string, issuer: BenchIssuer, audience = 'onevote') {
  const { key } = newVoterKey();
  const token = mintToken({
    issuer: issuer.issuer,
    kid: issuer.kid,
    audience,
    key: issuer.privateKey,
    sub: crypto.randomUUID(),
    jkt: key.jkt,
    roles: ['admin'],
    lifetimeSeconds: 600,
  });
  const ath = accessTokenHash(token);
  return async <T = { id: string; questions: { id: string; options: { id: string }[] }[] }>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> => {
    const res = await fetch(`${gateway}${path}`, {
      method,
      headers: {
        authorization: `DPoP ${token}`,
        dpop: dpopProof(key, method, `${gateway}${path}`, ath),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  };
}

/** Uploads a voter roll (PUT .../roll, text/csv, streamed) through `gateway` as an admin of `issuer`. */
export async function uploadRoll(gateway: string, issuer: BenchIssuer, electionId: string, emails: Iterable<string>): Promise<unknown> {
  const { key } = newVoterKey();
  const token = mintToken({ issuer: issuer.issuer, kid: issuer.kid, audience: 'onevote', key: issuer.privateKey, sub: crypto.randomUUID(), jkt: key.jkt, roles: ['admin'], lifetimeSeconds: 600 });
  const url = `${gateway}/v1/elections/${electionId}/roll`;
  async function* lines() {
    const chunk: string[] = [];
    for (const email of emails) {
      chunk.push(email);
      if (chunk.length === 10_000) yield `${chunk.splice(0).join('\n')}\n`;
    }
    yield `${chunk.join('\n')}\n`;
  }
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: `DPoP ${token}`, dpop: dpopProof(key, 'PUT', url, accessTokenHash(token)), 'content-type': 'text/csv' },
    body: Readable.toWeb(Readable.from(lines())),
    duplex: 'half',
  } as RequestInit);
  if (!res.ok) throw new Error(`PUT roll: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Creates and opens a one-question election through the public API, as an admin of `issuer`. */
export async function createOpenElection(
  gateway: string,
  issuer: BenchIssuer,
  options: { audience?: string; eligibility?: 'open' | 'verified_email' | 'roll' } = {},
): Promise<OpenElection> {
  const call = adminClient(gateway, issuer, options.audience);
  const created = await call('POST', '/v1/elections', {
    title: 'Bench: best option',
    questions: [{ title: 'Which option?', options: ['Red', 'Green', 'Blue', 'Yellow'].map((label) => ({ label })) }],
    resultsVisibility: 'live',
    eligibility: options.eligibility ?? 'open',
  });
  await call('POST', `/v1/elections/${created.id}/open`);
  // The open status reaches vote-api and results through NATS KV.
  await waitForTotal(`${gateway}/v1/elections/${created.id}/results`, 0, 10_000);
  const question = created.questions[0]!;
  return { id: created.id, questionId: question.id, optionIds: question.options.map((o) => o.id) };
}

/** Waits until the results show the election open with at least `total` ballots (or the deadline). */
export async function waitForTotal(resultsUrl: string, total: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(resultsUrl).catch(() => undefined);
    if (res?.ok) {
      const body = (await res.json()) as { status: string; totalBallots: number };
      if (body.status === 'open' && body.totalBallots >= total) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Casts one ballot as a well-behaved client does, for tests that need every ballot counted on a
 * busy machine: a `503` is sent again with the same Idempotency-Key after its Retry-After (capped
 * at 5 s, at most 10 times), and a `challenge_required` is solved at the level asked for and sent
 * again. Resolves with the last answer's status and body.
 */
export async function castBallot(
  baseUrl: string,
  voter: Voter,
  electionId: string,
  selections: { questionId: string; optionIds: string[] }[],
  ip: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${baseUrl}/v1/elections/${electionId}/votes`;
  const idempotencyKey = crypto.randomUUID();
  const send = async (altcha?: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: voter.authorization,
        dpop: dpopProof(voter.key, 'POST', url, voter.ath),
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        'x-forwarded-for': ip,
      },
      body: JSON.stringify({ selections, ...(altcha ? { altcha } : {}) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      retryAfter: Number(res.headers.get('retry-after')) || 1,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  let answer = await send();
  let altcha: string | undefined;
  for (let tries = 0; tries < 10; tries++) {
    if (answer.status === 503) {
      await new Promise((r) => setTimeout(r, Math.min(answer.retryAfter, 5) * 1000));
    } else if (answer.status === 403 && answer.body.code === 'challenge_required') {
      const level = Number(answer.body.challengeLevel ?? 0);
      const challenge = await fetch(`${baseUrl}/v1/auth/challenge?purpose=vote&level=${level}`, { headers: { 'x-forwarded-for': ip } });
      altcha = await solveAltcha((await challenge.json()) as never);
    } else break;
    answer = await send(altcha);
  }
  return { status: answer.status, body: answer.body };
}
