/**
 * CPU cost of authenticating one protected request (access token + DPoP proof), cold (a token not
 * seen before: ES256 signature check) and cached (token already verified: only the proof), and of
 * argon2id per login with the default parameters.
 *
 *   node --import tsx services/identity/bench/verify-cost.ts [iterations]
 *
 * The replay store is in memory, so the figures are this process's CPU only; the Redis SET NX that
 * enforces single use is one pipelined round trip on top.
 */
import { performance } from 'node:perf_hooks';
import { AccessTokenVerifier, type AuthRequest, Authenticator, type ReplayStore } from '@onevote/auth';
import { DpopKey, TokenIssuer } from '@onevote/auth/client';
import argon2 from 'argon2';
import { storeConfigProperties } from '../src/config.ts';

const n = Number(process.argv[2] ?? 2000);
const htu = 'https://vote.example/v1/elections/e1/votes';

class MemoryReplay implements ReplayStore {
  private readonly seen = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

const request = (token: string, proof: string): AuthRequest => ({
  method: 'POST',
  url: '/v1/elections/e1/votes',
  protocol: 'https',
  host: 'vote.example',
  headers: { authorization: `DPoP ${token}`, dpop: proof },
  raw: { rawHeaders: ['authorization', `DPoP ${token}`, 'dpop', proof] },
});

const issuer = await TokenIssuer.start();
const key = await DpopKey.generate();
const auth = new Authenticator({
  verifier: new AccessTokenVerifier({ issuers: [issuer.trustEntry], audience: 'onevote' }),
  replay: new MemoryReplay(),
  iatWindowSeconds: 60,
});

async function measure(label: string, inputs: { token: string; proof: string }[]) {
  // Warm-up outside the timing (JIT, JWKS fetch).
  const start = performance.now();
  for (const { token, proof } of inputs) await auth.authenticate(request(token, proof));
  const us = ((performance.now() - start) * 1000) / inputs.length;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/request  (n=${inputs.length})`);
  return us;
}

// Inputs are signed before timing: proof signing is the client's cost, not the server's.
const makeInputs = async (count: number, sameToken: boolean) => {
  const shared = await issuer.mint({ jkt: key.jkt });
  const out: { token: string; proof: string }[] = [];
  for (let i = 0; i < count; i++) {
    const token = sameToken ? shared : await issuer.mint({ jkt: key.jkt });
    out.push({ token, proof: await key.proof({ htm: 'POST', htu, accessToken: token }) });
  }
  return out;
};

await measure('warm-up', await makeInputs(200, false));
await measure('token + DPoP, cold (new token each request)', await makeInputs(n, false));
await measure('token + DPoP, cached (same token, new proof)', await makeInputs(n, true));

const params = {
  memoryCost: storeConfigProperties.ARGON2_MEMORY_KIB.default,
  timeCost: storeConfigProperties.ARGON2_TIME_COST.default,
  parallelism: storeConfigProperties.ARGON2_PARALLELISM.default,
};
const hash = await argon2.hash('correct horse battery staple', { type: argon2.argon2id, ...params });
const logins = 50;
const start = performance.now();
for (let i = 0; i < logins; i++) await argon2.verify(hash, 'correct horse battery staple');
const ms = (performance.now() - start) / logins;
console.log(
  `${`argon2id verify per login (m=${params.memoryCost} KiB, t=${params.timeCost}, p=${params.parallelism})`.padEnd(44)} ${(ms * 1000).toFixed(0).padStart(8)} µs/login    (n=${logins})`,
);
await issuer.stop();
