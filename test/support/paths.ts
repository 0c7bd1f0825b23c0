import { join } from 'node:path';

/** The repository's root. */
export const ROOT = join(__dirname, '..', '..');

/**
 * `src` compiled by tsc as `npm run build` does (the global setup writes it): what the tests
 * start as processes (`main.js`, the CLIs), since a child process cannot load TypeScript.
 */
export const COMPILED = join(ROOT, '.test-dist', 'src');

/** The entry point of the compiled application. */
export const MAIN = join(COMPILED, 'main.js');
