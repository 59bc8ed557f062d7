import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Where its output goes: a file, or this process's stdout with a `[name]` prefix. */
  logFile?: string;
  /** Signal for a clean stop (PostgreSQL: SIGINT = fast shutdown). */
  stopSignal?: NodeJS.Signals;
  /**
   * A process group of its own (pid = group id), for a supervisor whose children must all be
   * killed together (pg_autoctl and the PostgreSQL it runs: `process.kill(-pid, 'SIGKILL')`).
   */
  detached?: boolean;
}

const running = new Set<ManagedProcess>();

// Last resort when the supervisor exits without stopping its children (an uncaught error, a
// second Ctrl-C): no server or service it started may outlive it.
process.on('exit', () => {
  for (const p of running) p.child.kill('SIGKILL');
});

/**
 * For processes without their own signal handling (test files, the bench): a SIGTERM or SIGINT,
 * such as the test runner's on a timeout, still takes every child down with it.
 */
export function killChildrenOnSignal() {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      for (const p of running) p.child.kill('SIGKILL');
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    });
  }
}

/** A child process of the supervisor that can be stopped cleanly, or killed, and waited for. */
export class ManagedProcess {
  /** Every child still running, newest last (stop in reverse order). */
  static running(): ManagedProcess[] {
    return [...running];
  }

  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private log: WriteStream | undefined;

  constructor(readonly spec: ProcessSpec) {
    this.child = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
      detached: spec.detached ?? false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (spec.logFile) {
      this.log = createWriteStream(spec.logFile, { flags: 'a' });
      this.child.stdout?.pipe(this.log, { end: false });
      this.child.stderr?.pipe(this.log, { end: false });
      // Not on 'exit': children of the process (PostgreSQL's backends after a kill -9 of the
      // postmaster) still hold its stdout and stderr and write to them. 'close' comes once both
      // pipes are closed, so nothing is written to the log after it ends.
      this.child.once('close', () => this.log?.end());
    } else {
      for (const stream of [this.child.stdout, this.child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) =>
          process.stdout.write(`[${spec.name}] ${line}\n`),
        );
      }
    }
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        running.delete(this);
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
      this.child.once('error', (err) => {
        running.delete(this);
        process.stderr.write(`[stack] ${spec.name} failed to start: ${err.message}\n`);
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  get pid() {
    return this.child.pid;
  }

  /** The end of the process's log file (what it said before it died), or '' without one. */
  logTail(lines = 40): string {
    if (!this.spec.logFile || !existsSync(this.spec.logFile)) return '';
    return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  get running() {
    return this.exitCode === undefined;
  }

  /** Asks the process to stop; kills it if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 8000): Promise<void> {
    if (!this.running) return;
    this.child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** `kill -9`: for fault tests. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
