/**
 * The client side of DPoP and a stand-alone token issuer, for tests, the load generator and tools.
 * Not used by services to verify anything.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { tokenHash } from './dpop.ts';

export { solveAltcha } from './altcha.ts';

export interface ProofInput {
  htm: string;
  htu: string;
  accessToken?: string;
  /** Overrides for negative tests. */
  iat?: number;
  jti?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** A client's DPoP key pair (ES256 by default) that signs a fresh proof per request. */
export class DpopKey {
  private constructor(
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly jkt: string,
    readonly alg: string,
  ) {}

  static async generate(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, 'sha256'), alg);
  }

  proof(input: ProofInput): Promise<string> {
    const payload: JWTPayload = {
      jti: input.jti ?? randomUUID(),
      htm: input.htm,
      htu: input.htu,
      iat: input.iat ?? Math.floor(Date.now() / 1000),
      ...(input.accessToken !== undefined ? { ath: tokenHash(input.accessToken) } : {}),
      ...input.claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: this.alg, jwk: this.publicJwk, ...input.header })
      .sign(this.privateKey);
  }

  /** Headers for a protected call. */
  async headers(method: string, url: string, accessToken: string): Promise<Record<string, string>> {
    return {
      authorization: `DPoP ${accessToken}`,
      dpop: await this.proof({ htm: method, htu: url, accessToken }),
    };
  }
}

export interface MintInput {
  sub?: string;
  roles?: ('voter' | 'admin')[];
  jkt: string;
  expiresInSeconds?: number;
  iat?: number;
  audience?: string;
  /** Adds `email_verified: true`, as identity does once the voter verified their address. */
  emailVerified?: boolean;
  /** Adds `email_hash` (with `email_verified`), as identity does for a verified address. */
  emailHash?: string;
  claims?: Record<string, unknown>;
  /** Protected-header members to add or override (`typ: undefined` drops it). */
  header?: Record<string, unknown>;
}

/**
 * An issuer with its own signing key, serving its JWKS over real HTTP on 127.0.0.1. Services trust
 * it only when it is listed in their `TRUSTED_ISSUERS` (tests, and the bench's bench mode).
 */
export class TokenIssuer {
  private keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK }[] = [];
  jwksRequests = 0;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly audience: string,
  ) {}

  static async start(options: { audience?: string } = {}): Promise<TokenIssuer> {
    // The handler needs the issuer, which needs the server's port: a holder breaks the cycle.
    const holder: { self?: TokenIssuer } = {};
    const server = createServer((req, res) => {
      const self = holder.self;
      if (req.url === '/.well-known/jwks.json' && self) {
        self.jwksRequests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: self.keys.map((k) => k.publicJwk) }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const self = new TokenIssuer(server, `http://127.0.0.1:${port}`, options.audience ?? 'onevote');
    holder.self = self;
    await self.rotate();
    return self;
  }

  get jwksUrl() {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  /** `TRUSTED_ISSUERS` entry for this issuer: trusted for both roles, its subjects are voter ids as they are. */
  get trustEntry(): { issuer: string; jwksUrl: string; roles: ('voter' | 'admin')[]; voterPrefix: string } {
    return { issuer: this.issuer, jwksUrl: this.jwksUrl, roles: ['voter', 'admin'], voterPrefix: '' };
  }

  /** A new signing key; earlier keys stay published so their tokens keep verifying. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    this.keys.unshift({ kid, privateKey, publicJwk });
    return kid;
  }

  mint(input: MintInput): Promise<string> {
    const key = this.keys[0]!;
    const iat = input.iat ?? Math.floor(Date.now() / 1000);
    return new SignJWT({
      roles: input.roles ?? ['voter'],
      cnf: { jkt: input.jkt },
      ...(input.emailVerified ? { email_verified: true } : {}),
      ...(input.emailHash ? { email_hash: input.emailHash } : {}),
      ...input.claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...input.header } as never)
      .setIssuer(this.issuer)
      .setSubject(input.sub ?? randomUUID())
      .setAudience(input.audience ?? this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (input.expiresInSeconds ?? 600))
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A voter as a client sees itself: id, DPoP key and a token bound to it. */
export interface TestVoter {
  voterId: string;
  key: DpopKey;
  token: string;
  headers(method: string, url: string): Promise<Record<string, string>>;
}

export async function aVoter(
  issuer: TokenIssuer,
  roles: ('voter' | 'admin')[] = ['voter'],
  { voterId = randomUUID(), ...claims }: { emailVerified?: boolean; emailHash?: string; voterId?: string } = {},
): Promise<TestVoter> {
  const key = await DpopKey.generate();
  const token = await issuer.mint({ sub: voterId, roles, jkt: key.jkt, ...claims });
  return { voterId, key, token, headers: (method, url) => key.headers(method, url, token) };
}
