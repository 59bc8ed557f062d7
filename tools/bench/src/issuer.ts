import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { signJws } from './signer.ts';

/**
 * The bench token issuer: its own ES256 key, its JWKS served over HTTP. The stack trusts it only
 * because the bench starts the stack with it in `TRUSTED_ISSUERS` (bench mode); tokens are
 * otherwise exactly what the services expect from identity.
 */
export class BenchIssuer {
  readonly kid = randomUUID();
  /** The services name this issuer's voters `bench:<sub>`: a namespace of their own (never identity's). */
  readonly voterPrefix = 'bench:';
  private constructor(
    readonly issuer: string,
    readonly privateKey: KeyObject,
    private readonly server: Server,
  ) {}

  static async start(): Promise<BenchIssuer> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let jwks = '';
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const self = new BenchIssuer(issuer, privateKey, server);
    jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: self.kid, alg: 'ES256', use: 'sig' }] });
    return self;
  }

  /** Trusted for both roles (the bench opens its election as an admin), under its own voter prefix. */
  get trustEntry(): { issuer: string; jwksUrl: string; roles: ('voter' | 'admin')[]; voterPrefix: string } {
    return {
      issuer: this.issuer,
      jwksUrl: `${this.issuer}/.well-known/jwks.json`,
      roles: ['voter', 'admin'],
      voterPrefix: this.voterPrefix,
    };
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export interface MintOptions {
  issuer: string;
  kid: string;
  audience: string;
  key: KeyObject;
  sub: string;
  jkt: string;
  roles: string[];
  lifetimeSeconds: number;
  /** Adds `email_verified: true`, as identity does for a voter who verified their address. */
  emailVerified?: boolean;
  /** Adds `email_hash`, as identity does for a verified address (roll elections match on it). */
  emailHash?: string;
}

export function mintToken(o: MintOptions): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: o.kid, typ: 'at+jwt' })).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  return signJws(
    header,
    {
      iss: o.issuer,
      sub: o.sub,
      aud: o.audience,
      iat,
      exp: iat + o.lifetimeSeconds,
      jti: randomUUID(),
      roles: o.roles,
      cnf: { jkt: o.jkt },
      ...(o.emailVerified ? { email_verified: true } : {}),
      ...(o.emailHash ? { email_hash: o.emailHash } : {}),
    },
    o.key,
  );
}
