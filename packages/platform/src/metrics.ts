import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per service process, with default process metrics and RED metrics per route. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status (rate and errors)',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route (duration)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const unhandledRejections = new Counter({
    name: 'process_unhandled_rejections_total',
    help: 'Promise rejections nobody handled (logged; the process keeps serving)',
    registers: [registry],
  });
  return { registry, http: { requests, duration }, unhandledRejections };
}

export type Metrics = ReturnType<typeof createMetrics>;
