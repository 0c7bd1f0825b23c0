import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

/** Where the suites' checked exchanges are counted (see conformance.ts). */
export const CONFORMANCE_DIR = join(ROOT, '.test-dist', 'conformance');

/** `operationId status` for every documented answer of `document`. */
export function documentedPairs(document: {
  paths: Record<string, Record<string, { operationId?: string; responses?: object }>>;
}): string[] {
  const pairs: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head'].includes(method)) continue;
      for (const status of Object.keys(operation.responses ?? {}))
        pairs.push(`${operation.operationId ?? `${method} ${path}`} ${status}`);
    }
  }
  return pairs;
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
  const document = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as Parameters<
    typeof documentedPairs
  >[0];
  const documented = documentedPairs(document);
  const missed = documented.filter((pair) => !reached.has(pair));
  const report =
    `[openapi] the suites reached ${documented.length - missed.length} of ${documented.length} ` +
    `documented (operation, status) pairs` +
    (missed.length > 0 ? `; not reached: ${missed.join(', ')}` : '') +
    '\n';
  writeFileSync(join(CONFORMANCE_DIR, 'coverage.txt'), report);
  process.stdout.write(`\n${report}`);
}
