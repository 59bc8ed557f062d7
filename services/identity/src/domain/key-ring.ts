/** A token-signing key as the ring sees it: when it starts signing. */
export interface KeyTimes {
  kid: string;
  activatesAt: Date;
}

export interface PublicationPolicy {
  /** Longest life of an access token, in seconds. */
  tokenTtlSeconds: number;
  /** How late a replica may learn of a newer key (its reload interval), plus clock leeway, in seconds. */
  lagSeconds: number;
}

/**
 * Rotation without a gap (ARCHITECTURE: identity): a new key is published before it signs; the
 * newest key whose time has come signs; an older key stays published until every token it can have
 * signed has expired.
 */
export function signingKey<K extends KeyTimes>(keys: readonly K[], now: Date): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (key.activatesAt <= now && (!best || key.activatesAt > best.activatesAt)) best = key;
  }
  return best;
}

export function publishedKeys<K extends KeyTimes>(
  keys: readonly K[],
  now: Date,
  policy: PublicationPolicy,
): K[] {
  const byActivation = [...keys].sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime());
  const signer = signingKey(keys, now);
  const graceMs = (policy.tokenTtlSeconds + policy.lagSeconds) * 1000;
  return byActivation.filter((key, i) => {
    if (key.activatesAt > now || key === signer) return true;
    // Superseded: its last token was signed when the next key took over, at the latest.
    const successor = byActivation[i - 1];
    return successor !== undefined && now.getTime() < successor.activatesAt.getTime() + graceMs;
  });
}

/** Keys no longer published: safe to delete. */
export function retiredKeys<K extends KeyTimes>(
  keys: readonly K[],
  now: Date,
  policy: PublicationPolicy,
): K[] {
  const published = new Set(publishedKeys(keys, now, policy));
  return keys.filter((k) => !published.has(k));
}
