/** Reading a service's Prometheus text (its operations listener's /metrics) in the bench. */

/**
 * A quantile of a histogram, summed over every label set, interpolated linearly inside the bucket
 * it falls in (as PromQL's histogram_quantile does). Undefined when nothing was observed.
 */
export function histogramQuantile(text: string, name: string, q: number): number | undefined {
  const buckets = new Map<number, number>();
  const pattern = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} ([0-9.e+-]+)$`);
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (!m) continue;
    const le = m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let previous: [number, number] = [0, 0];
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return previous[0];
      const within = count - previous[1];
      return within === 0 ? le : previous[0] + ((le - previous[0]) * (rank - previous[1])) / within;
    }
    previous = [le, count];
  }
  return previous[0];
}

/** A counter's value summed over every label set (0 when absent). */
export function counterSum(text: string, name: string): number {
  const pattern = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`);
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

export async function scrape(opsUrl: string): Promise<string> {
  const res = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}
