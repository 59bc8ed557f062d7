import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { binaries } from './binaries.ts';
import { stopStale } from './postgres.ts';
import { ManagedProcess } from './process.ts';
import { tcpAnswers } from './tcp.ts';
import { waitFor } from './wait.ts';

/** A private NATS server with JetStream, its store under `dir`. */
export class NatsServer {
  private process: ManagedProcess | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url() {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start() {
    mkdirSync(this.dir, { recursive: true });
    const pidFile = join(this.dir, 'nats.pid');
    stopStale(pidFile, 'SIGTERM');
    this.process = new ManagedProcess({
      name: 'nats',
      command: binaries.nats(),
      args: [
        '-a',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-js',
        '-sd',
        join(this.dir, 'jetstream'),
        '-P',
        pidFile,
      ],
      logFile: join(this.dir, 'nats.log'),
    });
    // The server greets every client with INFO; JetStream is ready once that greeting arrives.
    await waitFor(`NATS on port ${this.port}`, async () => {
      if (!this.process?.running) throw new Error('nats-server exited');
      return tcpAnswers(this.port, '', 'INFO');
    });
  }

  /** The server's process id (the postmaster for PostgreSQL), while it runs. */
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
