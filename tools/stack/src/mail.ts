import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from './process.ts';
import { tcpAnswers } from './tcp.ts';
import { GiveUp, waitFor } from './wait.ts';

const entry = fileURLToPath(new URL('./mail-catcher.ts', import.meta.url));

/**
 * The local mail catcher (`mail-catcher.ts`) as a process of its own: SMTP on 127.0.0.1:`port`,
 * every message kept as an `.eml` file in `mailDir`, nothing delivered. Its output goes to `logFile`.
 */
export class MailCatcher {
  private process: ManagedProcess | undefined;

  constructor(
    readonly mailDir: string,
    readonly port: number,
    readonly logFile: string,
  ) {}

  get url() {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start() {
    mkdirSync(this.mailDir, { recursive: true });
    this.process = new ManagedProcess({
      name: 'mail',
      command: process.execPath,
      args: ['--import', 'tsx', entry, '--dir', this.mailDir, '--port', String(this.port)],
      logFile: this.logFile,
    });
    // Ready once it greets a client the way an SMTP server does: `220 <name> ESMTP ...`.
    await waitFor(`the mail catcher on port ${this.port}`, async () => {
      if (!this.process?.running) throw new GiveUp(`the mail catcher exited; see ${this.logFile}`);
      return tcpAnswers(this.port, '', '220 ');
    });
  }

  /** The catcher's process id, while it runs. */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  async stop() {
    await this.process?.stop();
  }
}
