import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { cpus } from 'node:os';

export interface MachineReference {
  cpuModel: string;
  /** P-256 (ES256) verifies per second on one core, counted just before the run. */
  p256VerifiesPerSecond: number;
}

/**
 * A speed reference for the machine as it is now. Shared and virtual machines change speed with
 * their neighbours, and CPU µs per ballot change with them; a run's figures are comparable with
 * another's only at a similar reference. One P-256 verify is also the unit the vote path's cost
 * can be carried to another machine in (`cpuPerBallotInVerifies`).
 */
export function measureReference(seconds = 1): MachineReference {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('x'.repeat(256));
  const signature = sign('sha256', data, privateKey);
  let count = 0;
  const started = process.cpuUsage();
  let used = 0;
  while (used < seconds * 1e6) {
    for (let i = 0; i < 100; i++) verify('sha256', data, publicKey, signature);
    count += 100;
    const u = process.cpuUsage(started);
    used = u.user + u.system;
  }
  return { cpuModel: cpus()[0]?.model ?? 'unknown', p256VerifiesPerSecond: Math.round((count * 1e6) / used) };
}
