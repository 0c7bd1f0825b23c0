import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { routes } from './openapi';
import { ROOT } from './paths';

/** Where the suites' checked exchanges are counted (see conformance.ts). */
export const CONFORMANCE_DIR = join(ROOT, '.test-dist', 'conformance');

/** `operationId status` for every documented answer of openapi.json. */
function documentedPairs(): string[] {
  return routes().flatMap(({ method, path, operation }) =>
    Object.keys(operation.responses ?? {}).map(
      (status) => `${operation.operationId ?? `${method} ${path}`} ${status}`,
    ),
  );
}

/**
 * Prints (and writes to .test-dist/conformance/coverage.txt) how many documented pairs the run
 * reached, and names those no test reached. Nothing when no suite went through the check.
 */
export function reportCoverage(): void {
  if (!existsSync(CONFORMANCE_DIR)) return;
  const reached = new Set<string>();
  for (const file of readdirSync(CONFORMANCE_DIR).filter((f) => f.startsWith('reached-'))) {
    for (const line of readFileSync(join(CONFORMANCE_DIR, file), 'utf8').split('\n'))
      if (line) reached.add(line);
  }
  if (reached.size === 0) return;
  const documented = documentedPairs();
  const missed = documented.filter((pair) => !reached.has(pair));
  const report =
    `[openapi] the suites reached ${documented.length - missed.length} of ${documented.length} ` +
    `documented (operation, status) pairs` +
    (missed.length > 0 ? `; not reached: ${missed.join(', ')}` : '') +
    '\n';
  writeFileSync(join(CONFORMANCE_DIR, 'coverage.txt'), report);
  process.stdout.write(`\n${report}`);
}
