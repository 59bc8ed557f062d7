import { Readable } from 'node:stream';

/**
 * A request body as it is handed to the proxy: it reads from the client's request only once the
 * upstream connection asks for the first bytes. undici destroys a request's body when the request
 * fails; if that happens before anything was read (the connection was refused), the client's
 * request is left whole, and the same body can go to another replica in a new LazyBody.
 */
export class LazyBody extends Readable {
  /** Whether any of the body was asked for (after that a failed call cannot be sent again). */
  started = false;

  constructor(private readonly source: Readable) {
    super();
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.source.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) this.source.pause();
      });
      this.source.once('end', () => this.push(null));
      this.source.once('error', (err) => this.destroy(err));
    }
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Half sent: the rest of the client's body has nowhere to go, so its request ends here too (as
    // it did when undici was handed the request itself). Unread, it is left alone.
    if (error && this.started) this.source.destroy(error);
    callback(error);
  }
}
