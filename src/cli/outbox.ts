/**
 * Operator command for parked outbox entries:
 *
 *   npm run outbox -- list   <user|order>            parked (failed) events, as JSON lines
 *   npm run outbox -- replay <user|order> [id ...]   back in line: all, or these event ids
 *
 * It reads the same environment as the app (USER_DATABASE_URL, ORDER_DATABASE_URL, DATA_DIR):
 * Postgres, MongoDB or the embedded PGlite.
 * On the embedded databases, stop the app first. A running relay picks replayed entries up
 * within OUTBOX_POLL_MS.
 */
import { loadConfig } from '../shared/config/config';
import { withOutbox } from '../shared/outbox/outbox-admin';
import { type BusinessModule, descriptorOf, outboxModules } from '../shared/modules/registry';

async function main(argv: string[]): Promise<number> {
  const [command, module, ...ids] = argv;
  const modules = outboxModules().join('|');
  const descriptor = module ? descriptorOf(module) : undefined;
  const outbox = descriptor?.outbox;
  if ((command !== 'list' && command !== 'replay') || !module || !descriptor || !outbox) {
    process.stderr.write(
      `usage: outbox list <${modules}> | outbox replay <${modules}> [event-id ...]\n`,
    );
    return 2;
  }
  // A registered module (`descriptor`), so one the configuration has a database for.
  const { url, dataDir, timeoutMs } = loadConfig().databases[module as BusinessModule];
  const target = {
    url,
    dataDir,
    module,
    schema: outbox.schema,
    collection: outbox.collection,
    timeoutMs,
  };
  return withOutbox(target, async (repository) => {
    if (command === 'list') {
      for (const entry of await repository.listFailed())
        process.stdout.write(`${JSON.stringify(entry)}\n`);
    } else {
      process.stdout.write(`${await repository.replay(ids)} event(s) back in line\n`);
    }
    return 0;
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`outbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
