import { createProof } from './dpop.ts';
import { ApiError, apiUrl, json, send, toApiError } from './http.ts';
import type { Me, TokenResponse } from './types.ts';

// Tokens live in localStorage so every tab shares one session. Both are bound to the DPoP key
// (cnf.jkt), whose private half cannot leave IndexedDB, so a copied token is useless elsewhere.

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** ms since epoch */
  expiresAt: number;
  me?: Me;
}

const storageKey = 'onevote.session';
const listeners = new Set<() => void>();
let cached: Session | null | undefined;

function read(): Session | null {
  try {
    const raw = localStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function write(session: Session | null) {
  if (session) localStorage.setItem(storageKey, JSON.stringify(session));
  else localStorage.removeItem(storageKey);
  cached = session;
  for (const listener of listeners) listener();
}

window.addEventListener('storage', (event) => {
  if (event.key !== storageKey) return;
  cached = read();
  for (const listener of listeners) listener();
});

export function currentSession(): Session | null {
  if (cached === undefined) cached = read();
  return cached;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function fromTokens(tokens: TokenResponse, me?: Me): Session {
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    ...(me ? { me } : {}),
  };
}

async function postJson(path: string, body: unknown, withProof: boolean): Promise<Response> {
  const url = apiUrl(path);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (withProof) headers.dpop = await createProof('POST', url);
  return send(url, { method: 'POST', headers, body: JSON.stringify(body) });
}

export async function register(email: string, password: string, altcha: string): Promise<void> {
  await json(await postJson('/v1/auth/register', { email, password, altcha }, false));
}

export async function login(email: string, password: string, altcha: string): Promise<Session> {
  const tokens = await json<TokenResponse>(
    await postJson('/v1/auth/login', { email, password, altcha }, true),
  );
  write(fromTokens(tokens));
  const me = await authorizedJson<Me>('GET', '/v1/auth/me');
  const session = { ...currentSession()!, me };
  write(session);
  return session;
}

let refreshing: Promise<Session> | undefined;

/**
 * A new token pair. Refresh tokens rotate and a reused one revokes the whole family, so two tabs
 * must never spend the same one: a Web Lock serialises them, and a tab that finds the stored token
 * already replaced by another tab takes that one instead of refreshing again.
 */
function refresh(spent: Session): Promise<Session> {
  refreshing ??= (async () => {
    const run = async () => {
      const latest = read();
      if (!latest) throw signedOut();
      if (latest.refreshToken !== spent.refreshToken) {
        cached = latest;
        return latest;
      }
      const res = await postJson('/v1/auth/refresh', { refresh_token: latest.refreshToken }, true);
      if (!res.ok) {
        const err = await toApiError(res);
        if (err.status === 400 || err.status === 401) write(null);
        throw err;
      }
      const next = fromTokens(await res.json(), latest.me);
      write(next);
      return next;
    };
    return navigator.locks ? navigator.locks.request('onevote-refresh', run) : run();
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

function signedOut() {
  return new ApiError({ status: 401, code: 'invalid_token', detail: 'Not signed in' });
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A protected call: `Authorization: DPoP`, a fresh proof, and one transparent refresh on 401. */
export async function authorized(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  let session = currentSession();
  if (!session) throw signedOut();
  if (session.expiresAt - Date.now() < 30_000) session = await refresh(session);
  const url = apiUrl(path);
  const attempt = async (s: Session) => {
    const headers: Record<string, string> = {
      authorization: `DPoP ${s.accessToken}`,
      dpop: await createProof(method, url, s.accessToken),
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return send(url, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
  const res = await attempt(session);
  if (res.status !== 401) return res;
  const err = await toApiError(res.clone());
  if (err.code !== 'invalid_token') return res;
  return attempt(await refresh(session));
}

export async function authorizedJson<T>(method: string, path: string, options?: CallOptions): Promise<T> {
  return json<T>(await authorized(method, path, options));
}

export async function logout(): Promise<void> {
  const session = currentSession();
  if (session) {
    await authorized('POST', '/v1/auth/logout', { body: { refresh_token: session.refreshToken } }).catch(
      () => undefined,
    );
  }
  write(null);
}
