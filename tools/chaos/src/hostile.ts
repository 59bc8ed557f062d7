/**
 * Tools for the hostile-input suite (issue 9): raw HTTP requests with full control of the bytes,
 * the problem+json check every refusal must pass, and a fingerprint of the stored state.
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { problemCatalogue } from '@onevote/contracts';
import postgres from 'postgres';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method: string;
  /** Path and query, already percent-encoded as it should go on the wire. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with `transfer-encoding: chunked` (no content-length). */
  chunked?: boolean;
}

// A connection per request: an early 413 closes its connection, which must not fail the next case.
const agent = new Agent({ keepAlive: false, maxSockets: 16 });

/** One request, bytes as given. A reset after the answer arrived (an early 413) is not an error. */
export function sendRaw(base: string, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: r.method,
        path: r.path,
        headers: {
          ...(r.body !== undefined && !r.chunked ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}),
          ...(r.chunked ? { 'transfer-encoding': 'chunked' } : {}),
          ...r.headers,
        },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (r.body !== undefined && r.chunked) {
      const body = Buffer.from(r.body);
      for (let i = 0; i < body.length; i += 4096) req.write(body.subarray(i, i + 4096));
    } else if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/** Why an answer is not a proper refusal (4xx problem+json with a catalogued `code`), or undefined. */
export function refusalProblem(a: RawAnswer, allowed?: readonly number[]): string | undefined {
  if (a.status >= 500) return `server error ${a.status}: ${a.body.slice(0, 200)}`;
  if (a.status < 400) return `accepted with ${a.status}: ${a.body.slice(0, 200)}`;
  if (allowed && !allowed.includes(a.status)) return `status ${a.status}, expected ${allowed.join('/')}: ${a.body.slice(0, 200)}`;
  const type = a.headers['content-type'] ?? '';
  if (!type.startsWith('application/problem+json')) return `content-type ${type}`;
  let body: { code?: unknown; status?: unknown };
  try {
    body = JSON.parse(a.body) as typeof body;
  } catch {
    return `not JSON: ${a.body.slice(0, 200)}`;
  }
  if (typeof body.code !== 'string' || !(body.code in problemCatalogue)) return `no catalogued code: ${a.body.slice(0, 200)}`;
  if (body.status !== a.status) return `problem status ${String(body.status)} != ${a.status}`;
  return undefined;
}

const identityAndBallotTables: Record<string, string> = {
  'identity.voters': 'select id, email, password_hash, roles, created_at from identity.voters',
  'identity.refresh_families': 'select id, voter_id, revoked_at from identity.refresh_families',
  'identity.refresh_tokens': 'select token_hash, family_id, spent_at from identity.refresh_tokens',
  'ballot.elections': 'select * from ballot.elections',
  'ballot.history': 'select * from ballot.history',
};
const voteTables: Record<string, string> = {
  'votes.ballots': 'select election_id, voter_id, receipt_id, idempotency_key, selections, counted_at from votes.ballots',
  'votes.tallies': 'select * from votes.tallies',
  'votes.ballot_totals': 'select * from votes.ballot_totals',
};

/**
 * Row counts and checksums of every table that bad input must never change: identity and ballot on
 * shard group 0, the ballots' tables on every vote shard group (`adminUrls`, index = group; group
 * n > 0 is named `votes.ballots@n`).
 */
export async function fingerprint(adminUrls: string | string[]): Promise<Record<string, string>> {
  const urls = typeof adminUrls === 'string' ? [adminUrls] : adminUrls;
  const out: Record<string, string> = {};
  for (const [group, url] of urls.entries()) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = group === 0 ? { ...identityAndBallotTables, ...voteTables } : voteTables;
      for (const [name, query] of Object.entries(tables)) {
        const [row] = await sql.unsafe<{ n: string; sum: string | null }[]>(
          `select count(*)::text as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as sum from (${query}) t`,
        );
        out[group === 0 ? name : `${name}@${group}`] = `${row!.n} rows, md5 ${row!.sum}`;
      }
    } finally {
      await sql.end();
    }
  }
  return out;
}
