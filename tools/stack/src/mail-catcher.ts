/**
 * The local mail catcher: a real SMTP server that delivers nothing. Each message it accepts is
 * kept as `<id>.eml` in its directory (ids: `mailIdPattern`), where the gateway lists it at
 * `GET /dev/mail`. The supervisor runs this file as a process of its own (`MailCatcher`):
 * `node --import tsx mail-catcher.ts --dir DIR --port PORT`.
 */
import { mkdirSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { newMailId } from '@onevote/platform';
import { SMTPServer } from 'smtp-server';

/** Larger messages are refused with SMTP's 552 and nothing is kept. */
export const maxMessageBytes = 1024 * 1024;

export interface RunningMailCatcher {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` only (no TLS, no AUTH: nothing off this machine can reach it). */
export function startMailCatcher(dir: string, port: number): Promise<RunningMailCatcher> {
  mkdirSync(dir, { recursive: true });
  // Ids sort by arrival, also of two messages within one millisecond: each gets a later time than
  // the one before.
  let lastArrival = 0;
  const arrival = () => new Date((lastArrival = Math.max(Date.now(), lastArrival + 1)));
  const server = new SMTPServer({
    name: 'onevote-mail-catcher',
    banner: 'OneVote mail catcher: messages are kept, never delivered',
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxMessageBytes,
    logger: false,
    // Ctrl-C should not wait 30 s (the default) for a client's idle pooled connection.
    closeTimeout: 1000,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const tooLarge = Object.assign(new Error(`message exceeds the limit of ${maxMessageBytes} bytes`), {
            responseCode: 552,
          });
          callback(tooLarge);
          return;
        }
        keep(dir, newMailId(arrival()), Buffer.concat(chunks)).then(
          (id) => callback(null, `kept as ${id}`),
          (err: Error) => callback(err),
        );
      });
    },
  });
  return new Promise((resolve, reject) => {
    let listening = false;
    // Once listening, an error is one client's connection failing (a reset mid-session): logged,
    // never a reason to stop (without a listener, the event would end the process).
    server.on('error', (err) => {
      if (listening) process.stderr.write(`connection error: ${err.message}\n`);
      else reject(err);
    });
    server.listen(port, '127.0.0.1', () => {
      listening = true;
      resolve({
        port: (server.server.address() as { port: number }).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

// Written under a temporary name, then renamed: a reader of the directory sees a whole message or
// none (a temporary name never matches `mailIdPattern`).
async function keep(dir: string, id: string, message: Buffer): Promise<string> {
  const temporary = join(dir, `.${id}.tmp`);
  try {
    await writeFile(temporary, message, { flag: 'wx', mode: 0o600 });
    await rename(temporary, join(dir, `${id}.eml`));
  } catch (err) {
    await unlink(temporary).catch(() => {});
    throw err;
  }
  return id;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string' } } });
  if (!values.dir || !values.port) {
    process.stderr.write('usage: mail-catcher.ts --dir DIR --port PORT\n');
    process.exit(2);
  }
  const catcher = await startMailCatcher(values.dir, Number(values.port));
  process.stdout.write(`listening on smtp://127.0.0.1:${catcher.port}; keeping messages in ${values.dir}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void catcher.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // If the supervisor dies without stopping us (kill -9), stop rather than linger as an orphan.
  const supervisor = process.ppid;
  setInterval(() => {
    if (process.ppid !== supervisor) stop();
  }, 1000).unref();
}
