import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { type BenchIssuer, mintToken } from './issuer.ts';
import { accessTokenHash, importVoterKey, newVoterKey, type VoterKey } from './signer.ts';

export interface Voter {
  voterId: string;
  key: VoterKey;
  token: string;
  /** `ath` for every proof of this voter. */
  ath: string;
  authorization: string;
}

/**
 * Makes `count` voters with DPoP keys and tokens bound to them: in this thread for a few thousand,
 * in worker threads (every core) for a bench-sized audience.
 */
export async function provisionVoters(issuer: BenchIssuer, count: number, audience: string, lifetimeSeconds: number): Promise<Voter[]> {
  if (count <= 5000) {
    return Array.from({ length: count }, () => {
      const { key } = newVoterKey();
      const voterId = randomUUID();
      const token = mintToken({ issuer: issuer.issuer, kid: issuer.kid, audience, key: issuer.privateKey, sub: voterId, jkt: key.jkt, roles: ['voter'], lifetimeSeconds });
      return { voterId, key, token, ath: accessTokenHash(token), authorization: `DPoP ${token}` };
    });
  }
  const workers = Math.max(1, Math.min(availableParallelism(), 8));
  const per = Math.ceil(count / workers);
  const batches = await Promise.all(
    Array.from({ length: workers }, (_, i) => {
      const n = Math.max(0, Math.min(per, count - i * per));
      return new Promise<{ voterId: string; pkcs8: Uint8Array; proofHeader: string; jkt: string; token: string }[]>(
        (resolve, reject) => {
          if (n === 0) return resolve([]);
          const worker = new Worker(new URL('./provision-worker.mjs', import.meta.url), {
            workerData: { count: n, issuer: issuer.issuer, kid: issuer.kid, audience, issuerPkcs8: issuer.pkcs8, lifetimeSeconds },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
          // A worker that ends without an answer must fail the run, not leave it waiting forever.
          worker.once('exit', (code) => reject(new Error(`voter worker exited with code ${code} before answering`)));
        },
      );
    }),
  );
  return batches.flat().map((v) => ({
    voterId: v.voterId,
    key: importVoterKey(Buffer.from(v.pkcs8), v.proofHeader, v.jkt),
    token: v.token,
    ath: accessTokenHash(v.token),
    authorization: `DPoP ${v.token}`,
  }));
}
