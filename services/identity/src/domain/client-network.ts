import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address belongs to for rate limiting: its /24 for IPv4, its /64 for IPv6
 * (one customer's allocation, which a single attacker can rotate through freely).
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
  return address;
}

function expandIPv6(ip: string): string[] {
  const withoutZone = ip.split('%')[0]!;
  const [head = '', tail] = withoutZone.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail counts as two groups; only the first four groups matter here anyway.
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, missing)).fill('0'), ...right];
  return groups.map((g) => (g.includes('.') ? g : Number.parseInt(g || '0', 16).toString(16)));
}

/** OWASP: answer repeated failures on an account more and more slowly before locking it. */
export function slowdownMs(
  failures: number,
  policy: { afterFailures: number; stepMs: number; maxMs: number },
): number {
  const over = failures - policy.afterFailures;
  return over > 0 ? Math.min(policy.maxMs, over * policy.stepMs) : 0;
}
