import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NatsNamesInUse, type NatsPermissions, type NatsUser, natsPermissions } from '@onevote/contracts';
import { binaries } from './binaries.ts';
import { stopStale } from './postgres.ts';
import { ManagedProcess } from './process.ts';
import { tcpAnswers } from './tcp.ts';
import { waitFor } from './wait.ts';

export interface NatsServerOptions {
  /**
   * The bucket and streams the services' permissions name; `*` for a server many test runs share
   * (each with its own bucket and streams).
   */
  names: NatsNamesInUse | '*';
  /** The HTTP monitoring port (`/varz`, `/jsz`, `/healthz`: JSON); none when absent. */
  monitorPort?: number;
}

const users: NatsUser[] = ['ballot', 'vote-api', 'results', 'relay', 'audit'];

/**
 * A private NATS server with JetStream, its store under `dir`. No anonymous client may connect:
 * each service has its own user with only the subjects it needs (`natsPermissions`), and `url` is
 * an unrestricted user for tests and tools.
 */
export class NatsServer {
  private process: ManagedProcess | undefined;
  private readonly passwords: Record<'admin' | NatsUser, string>;
  private readonly permissions: Record<NatsUser, NatsPermissions>;
  readonly monitorPort: number | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
    options: NatsServerOptions = { names: '*' },
  ) {
    const secret = () => randomBytes(18).toString('base64url');
    this.passwords = Object.fromEntries(['admin', ...users].map((u) => [u, secret()])) as Record<'admin' | NatsUser, string>;
    this.permissions = natsPermissions(options.names);
    this.monitorPort = options.monitorPort;
  }

  /** The monitoring endpoint (JSON, read-only; bound to 127.0.0.1), when enabled. */
  get monitorUrl(): string | undefined {
    return this.monitorPort ? `http://127.0.0.1:${this.monitorPort}` : undefined;
  }

  /** An unrestricted user: test harnesses and tools that arrange and inspect. */
  get url() {
    return this.urlFor('admin');
  }

  /** The URL a service connects with: its own user, its own permissions. */
  urlFor(user: 'admin' | NatsUser) {
    return `nats://${encodeURIComponent(user)}:${this.passwords[user]}@127.0.0.1:${this.port}`;
  }

  /** Every service's URL, for the stack. */
  get serviceUrls(): Record<NatsUser, string> {
    return Object.fromEntries(users.map((u) => [u, this.urlFor(u)])) as Record<NatsUser, string>;
  }

  async start() {
    mkdirSync(this.dir, { recursive: true });
    const pidFile = join(this.dir, 'nats.pid');
    stopStale(pidFile, 'SIGTERM');
    const configFile = join(this.dir, 'nats.conf');
    // The config is JSON, which nats-server's config format accepts as it is.
    const entries = [
      { user: 'admin', password: this.passwords.admin },
      ...users.map((user) => ({
        user,
        password: this.passwords[user],
        permissions: {
          publish: { allow: this.permissions[user].publish },
          subscribe: { allow: this.permissions[user].subscribe },
        },
      })),
    ];
    writeFileSync(configFile, JSON.stringify({ authorization: { users: entries } }, null, 2), { mode: 0o600 });
    this.process = new ManagedProcess({
      name: 'nats',
      command: binaries.nats(),
      args: ['-c', configFile, '-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', join(this.dir, 'jetstream'), '-P', pidFile, ...(this.monitorPort ? ['-m', String(this.monitorPort)] : [])],
      logFile: join(this.dir, 'nats.log'),
    });
    // The server greets every client with INFO; JetStream is ready once that greeting arrives.
    await waitFor(`NATS on port ${this.port}`, async () => {
      if (!this.process?.running) throw new Error('nats-server exited');
      return tcpAnswers(this.port, '', 'INFO');
    });
  }

  /** The server's process id, while it runs. */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  async stop() {
    await this.process?.stop();
  }

  async kill() {
    await this.process?.kill();
  }
}
