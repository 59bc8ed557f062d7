/** Reading a service's Prometheus text (its operations listener's /metrics) in the bench. */
import { bucketsOf, parsePrometheusText, quantileOf, sumOf } from '@onevote/platform/prometheus-text';

/**
 * A quantile of a histogram, summed over every label set, interpolated linearly inside the bucket
 * it falls in (as PromQL's histogram_quantile does). Undefined when nothing was observed.
 */
export function histogramQuantile(text: string, name: string, q: number): number | undefined {
  return quantileOf(bucketsOf(parsePrometheusText(text), name), q);
}

/** A counter's value summed over every label set (0 when absent). */
export function counterSum(text: string, name: string): number {
  return sumOf(parsePrometheusText(text), name);
}

export async function scrape(opsUrl: string): Promise<string> {
  const res = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}
