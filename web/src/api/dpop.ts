import { base64url, base64urlJson } from './base64url.ts';
import { loadKeyPair, saveKeyPair } from './key-store.ts';

// RFC 9449 proofs signed with WebCrypto. ES256 signatures from WebCrypto are already the JWS
// format (r || s, 64 bytes), so no DER conversion is needed.

interface DpopKey {
  privateKey: CryptoKey;
  jwk: { kty: string; crv: string; x: string; y: string };
}

let current: Promise<DpopKey> | undefined;

async function loadOrCreate(): Promise<DpopKey> {
  let pair = await loadKeyPair().catch(() => undefined);
  if (!pair) {
    pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    await saveKeyPair(pair).catch(() => {
      // Private browsing may refuse IndexedDB: the key then lives for this page only.
    });
  }
  const full = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const jwk = { kty: full.kty ?? 'EC', crv: full.crv ?? 'P-256', x: full.x ?? '', y: full.y ?? '' };
  return { privateKey: pair.privateKey, jwk };
}

function dpopKey(): Promise<DpopKey> {
  current ??= loadOrCreate().catch((err) => {
    current = undefined;
    throw err;
  });
  return current;
}

async function sha256(text: string): Promise<string> {
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** `htu` is the URL as addressed, without query and fragment. */
function htuOf(url: string): string {
  const u = new URL(url, location.href);
  return `${u.origin}${u.pathname}`;
}

export async function createProof(method: string, url: string, accessToken?: string): Promise<string> {
  const key = await dpopKey();
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk };
  const payload: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: method.toUpperCase(),
    htu: htuOf(url),
    iat: Math.floor(Date.now() / 1000),
  };
  if (accessToken !== undefined) payload.ath = await sha256(accessToken);
  const input = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url(signature)}`;
}
