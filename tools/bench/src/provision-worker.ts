// Worker thread: makes voters (key pair + bound token) in bulk, so provisioning uses every core.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { mintToken } from './issuer.ts';
import { newVoterKey } from './signer.ts';

const { count, issuer, kid, audience, issuerPkcs8, lifetimeSeconds } = workerData as {
  count: number;
  issuer: string;
  kid: string;
  audience: string;
  issuerPkcs8: Uint8Array;
  lifetimeSeconds: number;
};
const issuerKey = createPrivateKey({ key: Buffer.from(issuerPkcs8), format: 'der', type: 'pkcs8' });
const voters = [];
for (let i = 0; i < count; i++) {
  const { key, pkcs8 } = newVoterKey();
  const voterId = randomUUID();
  const token = mintToken({ issuer, kid, audience, key: issuerKey, sub: voterId, jkt: key.jkt, roles: ['voter'], lifetimeSeconds });
  voters.push({ voterId, pkcs8, proofHeader: key.proofHeader, jkt: key.jkt, token });
}
parentPort!.postMessage(voters);
