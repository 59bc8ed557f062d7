import { DpopKey, solveAltcha } from '@onevote/auth/client';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A signed-in account: its DPoP key and access token, and calls made as it. */
export interface Session {
  key: DpopKey;
  token: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

/**
 * A client of the public API through the gateway, as a script or a farm would use it: every call
 * from a client address of its own (X-Forwarded-For, believed from 127.0.0.1), challenges solved
 * when asked for, DPoP-bound sessions.
 */
export class PublicApi {
  constructor(readonly base: string) {}

  async call(method: string, path: string, init: { ip: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'x-forwarded-for': init.ip,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async solved(ip: string, purpose: string, level?: number): Promise<string> {
    const query = `purpose=${purpose}${level === undefined ? '' : `&level=${level}`}`;
    const challenge = await this.call('GET', `/v1/auth/challenge?${query}`, { ip });
    if (challenge.status !== 200) throw Object.assign(new Error('challenge refused'), { answer: challenge });
    return solveAltcha(challenge.body as never);
  }

  /** Sends a call that may ask for a harder challenge (403 with challengeLevel): solves and resends. */
  async withChallenge(ip: string, purpose: string, send: (altcha: string) => Promise<Answer>): Promise<Answer> {
    let answer = await send(await this.solved(ip, purpose));
    for (let tries = 0; tries < 3 && answer.status === 403 && typeof answer.body.challengeLevel === 'number'; tries++) {
      answer = await send(await this.solved(ip, purpose, answer.body.challengeLevel));
    }
    return answer;
  }

  register(ip: string, email: string, password: string): Promise<Answer> {
    return this.withChallenge(ip, 'register', (altcha) => this.call('POST', '/v1/auth/register', { ip, body: { email, password, altcha } }));
  }

  /** Logs in; the session, or the refusal. */
  async login(ip: string, email: string, password: string): Promise<Session | Answer> {
    const key = await DpopKey.generate();
    const answer = await this.withChallenge(ip, 'login', async (altcha) =>
      this.call('POST', '/v1/auth/login', {
        ip,
        body: { email, password, altcha },
        headers: { dpop: await key.proof({ htm: 'POST', htu: `${this.base}/v1/auth/login` }) },
      }),
    );
    if (answer.status !== 200) return answer;
    const token = String(answer.body.access_token);
    return {
      key,
      token,
      call: async (method, path, body, headers) =>
        this.call(method, path, {
          ip,
          ...(body !== undefined ? { body } : {}),
          headers: { ...(await key.headers(method, `${this.base}${path}`, token)), ...headers },
        }),
    };
  }

  /** Casts a ballot for the first option of the first question, solving a challenge if one is asked for. */
  async vote(ip: string, session: Session, election: { id: string; questionId: string; optionId: string }): Promise<Answer> {
    const send = (altcha?: string) =>
      session.call(
        'POST',
        `/v1/elections/${election.id}/votes`,
        { selections: [{ questionId: election.questionId, optionIds: [election.optionId] }], ...(altcha ? { altcha } : {}) },
        { 'idempotency-key': crypto.randomUUID() },
      );
    const answer = await send();
    if (answer.status === 403 && answer.body.code === 'challenge_required') {
      return send(await this.solved(ip, 'vote', Number(answer.body.challengeLevel ?? 0)));
    }
    return answer;
  }
}

export const isSession = (s: Session | Answer): s is Session => 'token' in s;
