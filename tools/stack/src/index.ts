export { binaries, MissingBinaryError } from './binaries.ts';
export { type Infra, type InfraOptions, startInfra } from './infra.ts';
export { MailCatcher } from './mail.ts';
export {
  type Monitoring,
  type MonitoringOptions,
  redisCommand,
  redisMonitoringUser,
  ruleFiles,
  startMonitoring,
} from './monitoring.ts';
export { NatsServer } from './nats.ts';
export { NatsCluster, type NodeStreamView, peersOf } from './nats-cluster.ts';
export { freePort } from './ports.ts';
export { PostgresServer } from './postgres.ts';
export { PgAutoctlNode, PgMonitor, PostgresGroup } from './postgres-ha.ts';
export { killChildrenOnSignal, ManagedProcess } from './process.ts';
export { databaseRoles, provisionDatabase, shardDatabaseAdminUrls } from './provision.ts';
export { RedisServer } from './redis.ts';
export { clusterErrorCounts, initialPrimaryOf, keySlots, RedisCluster, type RedisClusterNode, type RedisClusterOptions } from './redis-cluster.ts';
export { redisCall } from './resp.ts';
export { repoRoot, runServiceCli, type ServiceName, serviceDefs, spawnService, waitReady } from './services.ts';
export { clusterReplicas, clusterTopology, type RunningService, type Stack, type StackOptions, startStack } from './stack.ts';
export { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';
export { GiveUp, waitFor } from './wait.ts';
