import 'reflect-metadata';
import { createApp } from './app';
import { stopGracefully } from './shutdown';
import { ConfigError, loadConfig } from './shared/config/config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  const logger = app.getHttpAdapter().getInstance().log;
  stopGracefully(app, config, (message) => logger.info(message));
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
      { port: config.PORT, modules: config.MODULES, transport: config.TRANSPORT },
      'cleave is listening',
    );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cleave failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
