import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BenchIssuer } from './issuer.ts';
import { accessTokenHash, importVoterKey, type VoterKey } from './signer.ts';

export interface Voter {
  voterId: string;
  key: VoterKey;
  token: string;
  /** `ath` for every proof of this voter. */
  ath: string;
  authorization: string;
}

/** Makes `count` voters with DPoP keys and tokens bound to them, in worker threads. */
export async function provisionVoters(issuer: BenchIssuer, count: number, audience: string, lifetimeSeconds: number): Promise<Voter[]> {
  const workers = Math.max(1, Math.min(availableParallelism(), 8));
  const per = Math.ceil(count / workers);
  const batches = await Promise.all(
    Array.from({ length: workers }, (_, i) => {
      const n = Math.max(0, Math.min(per, count - i * per));
      return new Promise<{ voterId: string; pkcs8: Uint8Array; proofHeader: string; jkt: string; token: string }[]>(
        (resolve, reject) => {
          if (n === 0) return resolve([]);
          const worker = new Worker(new URL('./provision-worker.ts', import.meta.url), {
            workerData: { count: n, issuer: issuer.issuer, kid: issuer.kid, audience, issuerPkcs8: issuer.pkcs8, lifetimeSeconds },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
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
