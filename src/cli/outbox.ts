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
import { withOutbox } from '../shared/persistence/outbox-admin';
import { MODULE_COLLECTIONS, MODULE_SCHEMAS } from '../shared/persistence/schemas';

async function main(argv: string[]): Promise<number> {
  const [command, module, ...ids] = argv;
  if ((command !== 'list' && command !== 'replay') || (module !== 'user' && module !== 'order')) {
    process.stderr.write(
      'usage: outbox list <user|order> | outbox replay <user|order> [event-id ...]\n',
    );
    return 2;
  }
  const config = loadConfig();
  const url = module === 'user' ? config.USER_DATABASE_URL : config.ORDER_DATABASE_URL;
  const target = {
    url,
    dataDir: config.DATA_DIR,
    module,
    schema: MODULE_SCHEMAS[module],
    collection: MODULE_COLLECTIONS[module],
    timeoutMs: config.DB_TIMEOUT_MS,
  };
  return withOutbox(target, async (store) => {
    if (command === 'list') {
      for (const entry of await store.listFailed())
        process.stdout.write(`${JSON.stringify(entry)}\n`);
    } else {
      process.stdout.write(`${await store.replay(ids)} event(s) back in line\n`);
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
