import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lock = JSON.parse(readFileSync(join(process.cwd(), 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};
const version = lock.packages['node_modules/@electric-sql/pglite']?.version ?? 'unknown';

/**
 * An initialised, empty PGlite data directory. Copying it is much faster than PGlite's own
 * initdb, so each test app starts from a copy.
 */
export const PGLITE_TEMPLATE = join(tmpdir(), `cleave-pglite-template-${version}`);
