import { natsNames } from './subjects.ts';

/**
 * What each service may publish and subscribe to on NATS: least privilege, in one place, for the
 * local stack's server config and the cluster's. Only ballot writes the elections KV bucket — the
 * election configs are the control plane (who can reopen an election) — and the others only read
 * it. Only the relay publishes counted ballots and only ballot publishes election events; audit
 * only consumes both.
 */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

export type NatsUser = 'ballot' | 'vote-api' | 'results' | 'relay' | 'audit';

/**
 * The names the permissions mention. `*` (bucket, streams) and `>`-covered subjects let one test
 * server host many runs, each with its own bucket and streams.
 */
export interface NatsNamesInUse {
  bucket: string;
  ballotsStream: string;
  eventsStream: string;
}

export function natsPermissions(names: NatsNamesInUse | '*'): Record<NatsUser, NatsPermissions> {
  const any = names === '*';
  const kvStream = any ? '*' : `KV_${names.bucket}`;
  const bucket = any ? '*' : names.bucket;
  const ballots = any ? '*' : names.ballotsStream;
  const events = any ? '*' : names.eventsStream;
  // Open a KV bucket, read keys, and watch it (an ordered push consumer delivering to an inbox).
  const readKv = [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${kvStream}`,
    `$JS.API.STREAM.MSG.GET.${kvStream}`,
    `$JS.API.DIRECT.GET.${kvStream}`,
    `$JS.API.DIRECT.GET.${kvStream}.>`,
    `$JS.API.CONSUMER.CREATE.${kvStream}`,
    `$JS.API.CONSUMER.CREATE.${kvStream}.>`,
    `$JS.API.CONSUMER.DELETE.${kvStream}.*`,
    `$JS.API.CONSUMER.INFO.${kvStream}.*`,
    `$JS.FC.${kvStream}.>`,
  ];
  // Own a stream: create or update it, publish to it, and read its newest message back.
  const ownStream = (stream: string, subjects: string) => [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    subjects,
  ];
  // Consume a stream with a durable pull consumer and explicit acks.
  const consume = (stream: string) => [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.ACK.${stream}.>`,
  ];
  const inbox = '_INBOX.>';
  return {
    ballot: {
      publish: [
        ...readKv,
        `$JS.API.STREAM.CREATE.${kvStream}`,
        `$JS.API.STREAM.UPDATE.${kvStream}`,
        `$KV.${bucket}.>`,
        ...ownStream(events, `${natsNames.electionEventsPrefix}.>`),
      ],
      subscribe: [inbox],
    },
    'vote-api': { publish: [...readKv, natsNames.tallyChangedWildcard], subscribe: [inbox] },
    results: { publish: readKv, subscribe: [inbox, natsNames.tallyChangedWildcard] },
    relay: { publish: ownStream(ballots, `${natsNames.ballotsPrefix}.>`), subscribe: [inbox] },
    audit: { publish: ['$JS.API.INFO', ...consume(ballots), ...consume(events)], subscribe: [inbox] },
  };
}
