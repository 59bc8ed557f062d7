/**
 * Risk rules of the vote path: pure decisions from signals gathered elsewhere (Redis counters).
 * A threshold of 0 switches its rule off. The most severe outcome of all rules wins. Signals that
 * are unknown (Redis slow or away) are a reason to challenge, not to allow.
 */

export type RiskOutcome = 'allow' | 'challenge' | 'deny';

export type RiskReason =
  | 'election_requires_challenge'
  | 'voters_per_key'
  | 'voters_per_subnet'
  | 'ip_velocity'
  | 'fresh_token'
  | 'signals_unknown';

export interface RiskThresholds {
  keyVotersChallenge: number;
  keyVotersDeny: number;
  subnetVotersChallenge: number;
  subnetVotersDeny: number;
  ipVelocityChallenge: number;
  ipVelocityDeny: number;
  minTokenAgeSeconds: number;
  /** What to do when the counters did not answer in time: challenge (the default) or allow. */
  unknownSignals: 'challenge' | 'allow';
  /** The highest proof-of-work level the rules ask for. */
  maxChallengeLevel: number;
}

export interface RiskSignals {
  /** Distinct voters seen with this DPoP key in the window (this one included); undefined if unknown. */
  votersPerKey?: number | undefined;
  /** Distinct voters seen from this IP's /24 (IPv4) or /64 (IPv6) in the window. */
  votersPerSubnet?: number | undefined;
  /** Vote requests from this IP in the window. */
  ipVelocity?: number | undefined;
  /** Seconds since the access token was issued. */
  tokenAgeSeconds: number;
  requireChallenge: boolean;
}

export interface RiskDecision {
  outcome: RiskOutcome;
  reasons: RiskReason[];
  /**
   * For a challenge, the lowest proof-of-work level accepted: 0, and one more at every doubling of
   * the network's distinct voters past its challenge threshold (a crowd pays more per ballot).
   */
  level: number;
}

const severity: Record<RiskOutcome, number> = { allow: 0, challenge: 1, deny: 2 };

export function assessRisk(signals: RiskSignals, thresholds: RiskThresholds): RiskDecision {
  const findings: { outcome: RiskOutcome; reason: RiskReason }[] = [];
  const rule = (value: number | undefined, challenge: number, deny: number, reason: RiskReason) => {
    if (value === undefined) return;
    if (deny > 0 && value >= deny) findings.push({ outcome: 'deny', reason });
    else if (challenge > 0 && value >= challenge) findings.push({ outcome: 'challenge', reason });
  };
  if (signals.requireChallenge)
    findings.push({ outcome: 'challenge', reason: 'election_requires_challenge' });
  rule(signals.votersPerKey, thresholds.keyVotersChallenge, thresholds.keyVotersDeny, 'voters_per_key');
  rule(
    signals.votersPerSubnet,
    thresholds.subnetVotersChallenge,
    thresholds.subnetVotersDeny,
    'voters_per_subnet',
  );
  rule(signals.ipVelocity, thresholds.ipVelocityChallenge, thresholds.ipVelocityDeny, 'ip_velocity');
  if (thresholds.minTokenAgeSeconds > 0 && signals.tokenAgeSeconds < thresholds.minTokenAgeSeconds) {
    findings.push({ outcome: 'challenge', reason: 'fresh_token' });
  }
  const unknown = [signals.votersPerKey, signals.votersPerSubnet, signals.ipVelocity].some((v) => v === undefined);
  if (unknown && thresholds.unknownSignals === 'challenge') {
    findings.push({ outcome: 'challenge', reason: 'signals_unknown' });
  }
  const outcome = findings.reduce<RiskOutcome>(
    (worst, f) => (severity[f.outcome] > severity[worst] ? f.outcome : worst),
    'allow',
  );
  const subnet = signals.votersPerSubnet ?? 0;
  const level =
    outcome === 'challenge' && thresholds.subnetVotersChallenge > 0 && subnet >= thresholds.subnetVotersChallenge
      ? Math.min(thresholds.maxChallengeLevel, Math.floor(Math.log2(subnet / thresholds.subnetVotersChallenge)))
      : 0;
  return { outcome, reasons: findings.filter((f) => f.outcome === outcome).map((f) => f.reason), level };
}

/**
 * The network a client address belongs to for the "many voters from one place" rule: /24 for IPv4
 * (IPv4-mapped IPv6 included), /64 for IPv6.
 */
export function subnetOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return `${v4.slice(0, v4.lastIndexOf('.'))}.0/24`;
  const groups = expandIpv6(ip);
  if (!groups) return ip;
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] | undefined {
  const address = ip.split('%')[0]!.toLowerCase();
  if (!address.includes(':')) return undefined;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail counts as two groups; it lies past the /64 prefix anyway.
  const width = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const fill = tail === undefined ? 0 : 8 - width(left) - width(right);
  if (fill < 0) return undefined;
  const groups = [...left, ...Array<string>(fill).fill('0'), ...right].map((g) =>
    g.includes('.') ? g : (Number.parseInt(g || '0', 16) || 0).toString(16),
  );
  return groups;
}
