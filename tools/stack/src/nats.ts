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

/** The unrestricted user and every service's user, each with a password of its own. */
export type NatsPasswords = Record<'admin' | NatsUser, string>;

/** Fresh random passwords for `admin` and every service's user. */
export function newNatsPasswords(): NatsPasswords {
  const secret = () => randomBytes(18).toString('base64url');
  return Object.fromEntries(['admin', ...users].map((u) => [u, secret()])) as NatsPasswords;
}

/**
 * The `authorization` block of a server's config (one server, or every node of a cluster: they
 * must all know the same users). No anonymous user; each service only its subjects.
 */
export function natsAuthorization(passwords: NatsPasswords, names: NatsNamesInUse | '*') {
  const permissions: Record<NatsUser, NatsPermissions> = natsPermissions(names);
  return {
    users: [
      { user: 'admin', password: passwords.admin },
      ...users.map((user) => ({
        user,
        password: passwords[user],
        permissions: {
          publish: { allow: permissions[user].publish },
          subscribe: { allow: permissions[user].subscribe },
        },
      })),
    ],
  };
}

/** `nats://user:password@127.0.0.1:port`. */
export function natsUserUrl(user: 'admin' | NatsUser, passwords: NatsPasswords, port: number): string {
  return `nats://${encodeURIComponent(user)}:${passwords[user]}@127.0.0.1:${port}`;
}

/** Every service's URL from one function of the user (one server's URL, or a cluster's list). */
export function natsServiceUrls(urlFor: (user: NatsUser) => string): Record<NatsUser, string> {
  return Object.fromEntries(users.map((u) => [u, urlFor(u)])) as Record<NatsUser, string>;
}

/**
 * A private NATS server with JetStream, its store under `dir`. No anonymous client may connect:
 * each service has its own user with only the subjects it needs (`natsPermissions`), and `url` is
 * an unrestricted user for tests and tools.
 */
export class NatsServer {
  private process: ManagedProcess | undefined;
  private readonly passwords: NatsPasswords;
  private readonly names: NatsNamesInUse | '*';
  readonly monitorPort: number | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
    options: NatsServerOptions = { names: '*' },
  ) {
    this.passwords = newNatsPasswords();
    this.names = options.names;
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
    return natsUserUrl(user, this.passwords, this.port);
  }

  /** Every service's URL, for the stack. */
  get serviceUrls(): Record<NatsUser, string> {
    return natsServiceUrls((u) => this.urlFor(u));
  }

  async start() {
    mkdirSync(this.dir, { recursive: true });
    const pidFile = join(this.dir, 'nats.pid');
    stopStale(pidFile, 'SIGTERM');
    const configFile = join(this.dir, 'nats.conf');
    // The config is JSON, which nats-server's config format accepts as it is.
    writeFileSync(configFile, JSON.stringify({ authorization: natsAuthorization(this.passwords, this.names) }, null, 2), {
      mode: 0o600,
    });
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
