import 'reflect-metadata';
import type { AppConfig } from './shared/config/app-config';
import { ConfigError, loadConfig } from './shared/config/config';
import { startTracingFromEnv } from './shared/observability/tracing';
import { availableMemoryMiB, judgeMemory } from './memory-check';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const memory = config.memoryCheck
    ? judgeMemory(config, availableMemoryMiB(), process.execArgv.includes('--liftoff-only'))
    : {};
  if (memory.refuse) {
    process.stderr.write(`cleave cannot start: ${memory.refuse}\n`);
    process.exit(1);
  }
  // Before the application (and so the HTTP, Postgres, Redis and MongoDB clients) is loaded,
  // so that the instrumentations see them.
  const tracing = startTracingFromEnv(config.observability.serviceName);
  const { createApp } = await import('./app');
  const { stopGracefully } = await import('./shutdown');
  const { Logger } = await import('nestjs-pino');
  const app = await createApp(config);
  const logger = app.get(Logger);
  if (memory.warn) logger.warn(memory.warn, 'main');
  stopGracefully(
    app,
    config.shutdown,
    (message) => logger.log(message, 'shutdown'),
    () => (tracing ? tracing.shutdown() : Promise.resolve()),
  );
  await app.listen({ port: config.http.port, host: config.http.host });
  logger.log(
    `cleave is ready in ${Math.round(process.uptime() * 1000)} ms, listening on port ${config.http.port}: ` +
      `modules ${config.modules.join(',')}, transport ${config.bus.transport}, tracing ${tracing ? 'on' : 'off'}`,
    'main',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cleave failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
