/**
 * NATS in Prometheus' text format. nats-server's monitoring port answers JSON (`/varz`, `/jsz`),
 * which Prometheus cannot scrape, and Debian packages no NATS exporter; so the stack reads the two
 * endpoints at each scrape and writes the few numbers the alerts and dashboards use. `nats_up` is 0
 * when NATS does not answer (the exporter itself still does, like postgres_exporter's `pg_up`).
 */

interface Varz {
  connections?: number;
  slow_consumers?: number;
  in_msgs?: number;
  out_msgs?: number;
  in_bytes?: number;
  out_bytes?: number;
  mem?: number;
}

interface Jsz {
  memory?: number;
  storage?: number;
  account_details?: {
    stream_detail?: {
      name: string;
      state?: { messages?: number; bytes?: number };
      consumer_detail?: { name: string; num_pending?: number; num_ack_pending?: number; num_redelivered?: number }[];
    }[];
  }[];
}

type Sample = [name: string, labels: Record<string, string>, value: number];

const help: Record<string, [type: 'gauge' | 'counter', text: string]> = {
  nats_up: ['gauge', '1 when the NATS monitoring port answered this scrape'],
  nats_connections: ['gauge', 'Client connections open'],
  nats_slow_consumers_total: ['counter', 'Clients NATS cut off or dropped messages for, because they read too slowly'],
  nats_in_msgs_total: ['counter', 'Messages received by the server'],
  nats_out_msgs_total: ['counter', 'Messages sent by the server'],
  nats_in_bytes_total: ['counter', 'Bytes received by the server'],
  nats_out_bytes_total: ['counter', 'Bytes sent by the server'],
  nats_memory_bytes: ['gauge', 'Resident memory of nats-server'],
  nats_jetstream_storage_bytes: ['gauge', 'JetStream file storage in use'],
  nats_jetstream_memory_bytes: ['gauge', 'JetStream memory storage in use'],
  nats_jetstream_stream_messages: ['gauge', 'Messages held by a stream'],
  nats_jetstream_stream_bytes: ['gauge', 'Bytes held by a stream'],
  nats_jetstream_consumer_pending: ['gauge', 'Messages of the stream a consumer has not been delivered yet (its backlog)'],
  nats_jetstream_consumer_ack_pending: ['gauge', 'Messages delivered to a consumer and not acknowledged yet'],
};

export async function natsMetrics(monitorUrl: string): Promise<string> {
  const samples: Sample[] = [];
  try {
    const get = async <T>(path: string) => {
      const res = await fetch(`${monitorUrl}${path}`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return (await res.json()) as T;
    };
    const [varz, jsz] = await Promise.all([get<Varz>('/varz'), get<Jsz>('/jsz?streams=true&consumers=true')]);
    samples.push(
      ['nats_up', {}, 1],
      ['nats_connections', {}, varz.connections ?? 0],
      ['nats_slow_consumers_total', {}, varz.slow_consumers ?? 0],
      ['nats_in_msgs_total', {}, varz.in_msgs ?? 0],
      ['nats_out_msgs_total', {}, varz.out_msgs ?? 0],
      ['nats_in_bytes_total', {}, varz.in_bytes ?? 0],
      ['nats_out_bytes_total', {}, varz.out_bytes ?? 0],
      ['nats_memory_bytes', {}, varz.mem ?? 0],
      ['nats_jetstream_storage_bytes', {}, jsz.storage ?? 0],
      ['nats_jetstream_memory_bytes', {}, jsz.memory ?? 0],
    );
    for (const account of jsz.account_details ?? []) {
      for (const stream of account.stream_detail ?? []) {
        samples.push(
          ['nats_jetstream_stream_messages', { stream: stream.name }, stream.state?.messages ?? 0],
          ['nats_jetstream_stream_bytes', { stream: stream.name }, stream.state?.bytes ?? 0],
        );
        for (const consumer of stream.consumer_detail ?? []) {
          const labels = { stream: stream.name, consumer: consumer.name };
          samples.push(
            ['nats_jetstream_consumer_pending', labels, consumer.num_pending ?? 0],
            ['nats_jetstream_consumer_ack_pending', labels, consumer.num_ack_pending ?? 0],
          );
        }
      }
    }
  } catch {
    samples.length = 0;
    samples.push(['nats_up', {}, 0]);
  }
  return render(samples);
}

function render(samples: Sample[]): string {
  const lines: string[] = [];
  for (const name of Object.keys(help)) {
    const mine = samples.filter((s) => s[0] === name);
    if (mine.length === 0) continue;
    const [type, text] = help[name]!;
    lines.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`);
    for (const [, labels, value] of mine) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
      lines.push(`${name}${l.length ? `{${l.join(',')}}` : ''} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
