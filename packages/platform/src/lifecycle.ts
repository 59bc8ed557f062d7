import type { Logger } from './logger.ts';
import type { App } from './server.ts';

export interface RunOptions {
  app: App;
  host: string;
  port: number;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Run after the server has stopped and drained, in order: close clients here. */
  closers?: (() => Promise<unknown>)[];
  /** Counts rejections nobody handled (they are logged, and the service keeps serving). */
  unhandledRejections?: { inc(): void };
}

/**
 * Listens, then on SIGINT/SIGTERM stops accepting, lets in-flight requests finish, closes the
 * clients and exits. A shutdown that takes longer than the timeout exits with status 1.
 */
export async function runService(
  options: RunOptions,
): Promise<{ shutdown: (reason: string) => Promise<void> }> {
  const { app, logger } = options;
  await app.listen({ host: options.host, port: options.port });
  let closing = false;

  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    let code = 0;
    // Connections that finish their last request during the drain would otherwise stay open on
    // keep-alive and hold close() until the timeout.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
    try {
      await app.close();
      clearInterval(sweep);
      for (const close of options.closers ?? []) await close();
    } catch (err) {
      logger.error({ err }, 'error while shutting down');
      code = 1;
    }
    logger.info('stopped');
    logger.flush?.();
    process.exit(code);
  };

  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  // A rejection nobody handled is a bug to fix, but not a reason to stop serving: seen in the fault
  // suite when PostgreSQL restarts, the database client rejected a promise of its own with
  // ECONNRESET. It is logged and counted; /readyz still tells whether the dependencies answer.
  process.on('unhandledRejection', (reason) => {
    options.unhandledRejections?.inc();
    logger.error({ err: reason }, 'unhandled promise rejection');
  });

  // Under the local supervisor: if it dies without stopping us, stop rather than linger as an orphan.
  const parent = Number(process.env.ONEVOTE_SUPERVISOR_PID);
  if (parent > 0) {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        void shutdown('supervisor gone');
      }
    }, 1000).unref();
  }
  return { shutdown };
}
