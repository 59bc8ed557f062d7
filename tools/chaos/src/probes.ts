/** Calls a fault scenario makes on the side, besides the ballot load. */
import { accessTokenHash, dpopProof, mintToken, newVoterKey } from '@onevote/bench';
import type { ScenarioContext } from './scenario.ts';

export interface ProbeAnswer {
  status: number;
  retryAfter: string | null;
  code: unknown;
}

/**
 * One protected call to each service through the gateway, as an admin of the bench issuer with a
 * fresh DPoP proof: what a client sees from each of them right now.
 */
export async function protectedCallsOfEveryService({ stack, election, issuer }: ScenarioContext): Promise<Record<string, ProbeAnswer>> {
  const gateway = stack.gatewayUrl;
  const calls: [string, string, string, unknown?][] = [
    ['identity: me', 'GET', '/v1/auth/me'],
    ['ballot: create election', 'POST', '/v1/elections', { title: 'During the outage', questions: [{ title: 'Q', options: [{ label: 'a' }, { label: 'b' }] }] }],
    ['vote-api: my vote', 'GET', `/v1/elections/${election.id}/votes/me`],
    ['vote-api: vote', 'POST', `/v1/elections/${election.id}/votes`, { selections: [{ questionId: election.questionId, optionIds: [election.optionIds[0]] }] }],
  ];
  const answers: Record<string, ProbeAnswer> = {};
  for (const [name, method, path, body] of calls) {
    const { key } = newVoterKey();
    const token = mintToken({
      issuer: issuer.issuer,
      kid: issuer.kid,
      audience: 'onevote',
      key: issuer.privateKey,
      sub: crypto.randomUUID(),
      jkt: key.jkt,
      roles: ['admin'],
      lifetimeSeconds: 300,
    });
    const res = await fetch(`${gateway}${path}`, {
      method,
      headers: {
        authorization: `DPoP ${token}`,
        dpop: dpopProof(key, method, `${gateway}${path}`, accessTokenHash(token)),
        'idempotency-key': crypto.randomUUID(),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let code: unknown;
    try {
      code = (JSON.parse(text) as { code?: unknown }).code;
    } catch {
      code = text.slice(0, 80);
    }
    answers[name] = { status: res.status, retryAfter: res.headers.get('retry-after'), code };
  }
  return answers;
}
