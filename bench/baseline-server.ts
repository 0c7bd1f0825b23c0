import type { FastifyInstance } from 'fastify';

/**
 * What the baseline servers (bare-fastify.ts, pg-fastify.ts) share: their address from PORT and
 * HOST (loopback only), a clean exit on SIGTERM or SIGINT after `release`, and a start-up
 * failure reported on stderr under `name` with exit status 1.
 */
export interface BaselineServer {
  app: FastifyInstance;
  /** Closes what the server opened besides itself (database pools). */
  release?: () => Promise<unknown>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

export function serveBaseline(name: string, build: () => Promise<BaselineServer>): void {
  const start = async () => {
    const port = Number(process.env.PORT);
    const host = process.env.HOST || '127.0.0.1';
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('PORT must be set');
    if (!isLoopback(host)) throw new Error(`HOST must be a loopback address, got ${host}`);
    const { app, release } = await build();
    const close = () => {
      app
        .close()
        .then(() => release?.())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    };
    process.once('SIGTERM', close);
    process.once('SIGINT', close);
    await app.listen({ port, host });
  };
  start().catch((error: unknown) => {
    process.stderr.write(
      `${name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
