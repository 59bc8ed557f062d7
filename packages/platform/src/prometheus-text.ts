/**
 * Reading the Prometheus text exposition format (a service's operations listener's /metrics): the
 * bench and ballot's operations view read the services' own metrics with this.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type LabelMatch = Record<string, string> | ((labels: Record<string, string>) => boolean);

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function number(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Every sample of a scrape; comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      label.lastIndex = 0;
      let l: RegExpExecArray | null;
      while (label.lastIndex < m[2].length && (l = label.exec(m[2]))) labels[l[1]!] = unescape(l[2]!);
    }
    const value = number(m[3]!);
    if (!Number.isNaN(value)) samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

function matches(labels: Record<string, string>, match: LabelMatch | undefined): boolean {
  if (!match) return true;
  if (typeof match === 'function') return match(labels);
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** A counter's or gauge's value summed over the matching label sets (0 when absent). */
export function sumOf(samples: readonly Sample[], name: string, match?: LabelMatch): number {
  let sum = 0;
  for (const s of samples) if (s.name === name && matches(s.labels, match)) sum += s.value;
  return sum;
}

/** A histogram's cumulative buckets (upper bound, count), summed over the matching label sets, by bound. */
export function bucketsOf(samples: readonly Sample[], name: string, match?: LabelMatch): [number, number][] {
  const buckets = new Map<number, number>();
  const bucket = `${name}_bucket`;
  for (const s of samples) {
    if (s.name !== bucket || s.labels.le === undefined || !matches(s.labels, match)) continue;
    const le = number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return [...buckets].sort((a, b) => a[0] - b[0]);
}

/**
 * A quantile of cumulative buckets, interpolated linearly inside the bucket it falls in (as
 * PromQL's histogram_quantile does). Undefined when nothing was observed.
 */
export function quantileOf(buckets: readonly [number, number][], q: number): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let previous: [number, number] = [0, 0];
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return previous[0];
      const within = count - previous[1];
      return within === 0 ? le : previous[0] + ((le - previous[0]) * (rank - previous[1])) / within;
    }
    previous = [le, count];
  }
  return previous[0];
}

/** The increase of cumulative buckets between two scrapes (a bucket that went down was reset: its new count). */
export function bucketIncrease(before: readonly [number, number][], after: readonly [number, number][]): [number, number][] {
  const old = new Map(before);
  return after.map(([le, count]) => {
    const was = old.get(le) ?? 0;
    return [le, count >= was ? count - was : count];
  });
}
