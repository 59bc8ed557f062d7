import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { binaries } from './binaries.ts';
import { stopStale } from './postgres.ts';
import { ManagedProcess } from './process.ts';
import { tcpAnswers } from './tcp.ts';
import { waitFor } from './wait.ts';

/** A private Redis. It keeps nothing on disk: everything in it can be rebuilt (ARCHITECTURE, Data). */
export class RedisServer {
  private process: ManagedProcess | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    mkdirSync(this.dir, { recursive: true });
    const pidFile = join(this.dir, 'redis.pid');
    stopStale(pidFile, 'SIGTERM');
    this.process = new ManagedProcess({
      name: 'redis',
      command: binaries.redis(),
      args: [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--pidfile',
        pidFile,
        '--logfile',
        join(this.dir, 'redis.log'),
        '--maxclients',
        '10000',
      ],
      logFile: join(this.dir, 'redis.out'),
    });
    await waitFor(`Redis on port ${this.port}`, async () => {
      if (!this.process?.running) throw new Error('redis-server exited');
      return tcpAnswers(this.port, 'PING\r\n', '+PONG');
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
