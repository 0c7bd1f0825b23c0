/**
 * Part of `npm run build`: writes the template of an empty embedded database beside the
 * compiled code (see EMBEDDED_TEMPLATE), once per PGlite version.
 */
import { existsSync } from 'node:fs';
import { EMBEDDED_TEMPLATE, EmbeddedPostgres } from '../shared/persistence/embedded-postgres';

async function main(): Promise<void> {
  if (existsSync(EMBEDDED_TEMPLATE)) return;
  const started = Date.now();
  await EmbeddedPostgres.writeTemplate();
  process.stdout.write(`embedded database template written in ${Date.now() - started} ms\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`the embedded database template could not be written: ${String(error)}\n`);
  process.exitCode = 1;
});
