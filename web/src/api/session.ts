import { createProof } from './dpop.ts';
import { ApiError, apiUrl, json, send, toApiError } from './http.ts';
import type { Me, SessionInfo, TokenResponse } from './types.ts';

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

/** Signs in; `otp` is the authenticator app's code for an account that has one (403 mfa_required without). */
export async function login(email: string, password: string, altcha: string, otp?: string): Promise<Session> {
  const tokens = await json<TokenResponse>(
    await postJson('/v1/auth/login', { email, password, altcha, ...(otp ? { otp } : {}) }, true),
  );
  return signInWith(tokens);
}

/** Keeps a token pair from any login (password or passkey) and reads who it is for. */
export async function signInWith(tokens: TokenResponse): Promise<Session> {
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

/**
 * The `Authorization` and `DPoP` headers `authorized` sends, for a call fetch cannot make (an
 * upload that reports its progress goes through XMLHttpRequest). `url` is absolute (the proof's
 * `htu`); `renew` takes a new token pair first, after the server answered 401 `invalid_token`.
 */
export async function authorizationHeaders(
  method: string,
  url: string,
  options: { renew?: boolean } = {},
): Promise<Record<string, string>> {
  let session = currentSession();
  if (!session) throw signedOut();
  if (options.renew || session.expiresAt - Date.now() < 30_000) session = await refresh(session);
  return {
    authorization: `DPoP ${session.accessToken}`,
    dpop: await createProof(method, url, session.accessToken),
  };
}

export async function authorizedJson<T>(method: string, path: string, options?: CallOptions): Promise<T> {
  return json<T>(await authorized(method, path, options));
}

/** Asks for a password-reset code; the answer is the same whether the address is registered or not. */
export async function forgotPassword(email: string): Promise<void> {
  const res = await postJson('/v1/auth/password/forgot', { email }, false);
  if (!res.ok) throw await toApiError(res);
}

/** Sets a new password with the mailed code; every session of the account ends. */
export async function resetPassword(email: string, code: string, password: string): Promise<void> {
  const res = await postJson('/v1/auth/password/reset', { email, code, password }, false);
  if (!res.ok) throw await toApiError(res);
}

/** Mails the signed-in voter a 6-digit code (202); 429 with Retry-After within the resend cooldown. */
export async function requestEmailCode(): Promise<void> {
  const res = await authorized('POST', '/v1/auth/email/verification');
  if (!res.ok) throw await toApiError(res);
}

/**
 * Proves the address with the mailed code, then takes a new token pair at once: tokens issued from
 * now on carry `email_verified: true`, and an election that needs it reads that claim.
 */
export async function verifyEmail(code: string): Promise<Session> {
  await authorizedJson<{ emailVerified: true }>('POST', '/v1/auth/email/verify', { body: { code } });
  return refreshAndReload();
}

/** A new token pair at once, and the caller read again: the session's token then carries what just changed. */
async function refreshAndReload(): Promise<Session> {
  const current = currentSession();
  if (!current) throw signedOut();
  const session = await refresh(current);
  const me = await authorizedJson<Me>('GET', '/v1/auth/me');
  const next = { ...session, me };
  write(next);
  return next;
}

/**
 * Starts changing the address: the password (and the app's code, if set) again, and a 6-digit code
 * goes to the new address (202; 429 with Retry-After within the resend cooldown). The answer is the
 * same when the address already has an account: that mailbox then gets a notice, not a code.
 */
export async function requestEmailChange(email: string, password: string, otp?: string): Promise<void> {
  const res = await authorized('POST', '/v1/auth/email/change', { body: { email, password, ...(otp ? { otp } : {}) } });
  if (!res.ok) throw await toApiError(res);
}

/** Confirms the new address with its code; the account switches to it, verified, and new tokens say so. */
export async function confirmEmailChange(code: string): Promise<Session> {
  await authorizedJson<{ email: string; emailVerified: true }>('POST', '/v1/auth/email/change/confirm', { body: { code } });
  return refreshAndReload();
}

/** Re-reads the caller (after a change to the account). */
export async function reloadMe(): Promise<Me> {
  const me = await authorizedJson<Me>('GET', '/v1/auth/me');
  const session = currentSession();
  if (session) write({ ...session, me });
  return me;
}

export async function listSessions(): Promise<SessionInfo[]> {
  return (await authorizedJson<{ sessions: SessionInfo[] }>('GET', '/v1/auth/sessions')).sessions;
}

async function noContent(res: Response): Promise<void> {
  if (!res.ok) throw await toApiError(res);
}

export async function endSession(id: string): Promise<void> {
  await noContent(await authorized('DELETE', `/v1/auth/sessions/${encodeURIComponent(id)}`));
}

/** Every session ends, this one included. */
export async function endAllSessions(): Promise<void> {
  await noContent(await authorized('DELETE', '/v1/auth/sessions'));
  write(null);
}

export async function startTotp(): Promise<{ secret: string; otpauthUri: string }> {
  return authorizedJson('POST', '/v1/auth/mfa/totp');
}

export async function confirmTotp(code: string): Promise<void> {
  await authorizedJson('POST', '/v1/auth/mfa/totp/confirm', { body: { code } });
  await reloadMe();
}

export async function deleteAccount(password: string, otp?: string): Promise<void> {
  await noContent(await authorized('DELETE', '/v1/auth/account', { body: { password, ...(otp ? { otp } : {}) } }));
  write(null);
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
