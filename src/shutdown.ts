import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownConfig } from './shared/config/app-config';
import { Readiness } from './shared/observability/readiness';

/**
 * Graceful stop on SIGTERM or SIGINT, in the order a rolling update needs:
 * 1. `/ready` answers 503 at once, so the load balancer stops sending new requests;
 * 2. requests keep being served for SHUTDOWN_DRAIN_MS (`drainMs`), while it notices;
 * 3. the server stops accepting, in-flight requests finish, the bus consumers stop (a message
 *    not yet acknowledged is redelivered elsewhere), the outbox relays finish their batch, and
 *    connections close;
 * 4. the process exits 0, or 1 if all this took longer than SHUTDOWN_TIMEOUT_MS (`timeoutMs`).
 * Kubernetes: terminationGracePeriodSeconds must exceed (drain + timeout) / 1000.
 */
export function stopGracefully(
  app: NestFastifyApplication,
  config: ShutdownConfig,
  log: (message: string) => void,
  /** Last of all: flush what must not be lost at exit (buffered spans). */
  flush: () => Promise<void> = () => Promise.resolve(),
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: not ready any more; draining for ${config.drainMs} ms`);
    app.get(Readiness).beginShutdown();
    const bound = setTimeout(() => {
      log(`shutdown took longer than ${config.timeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, config.drainMs + config.timeoutMs);
    bound.unref();
    setTimeout(() => {
      app.close().then(
        async () => {
          await flush().catch(() => undefined);
          log('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    }, config.drainMs);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
