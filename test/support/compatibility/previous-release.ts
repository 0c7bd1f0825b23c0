import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../paths';
import type { Json } from './normalize';
import type { OpenApi } from './openapi-gate';

/** `releases/previous.json`: the release this one must stay compatible with. */
export interface Release {
  version: string;
  commit: string;
}

export const PREVIOUS: Release = JSON.parse(
  readFileSync(join(ROOT, 'releases', 'previous.json'), 'utf8'),
) as Release;

/** A file as the previous release committed it (needs the git history: fails loudly without). */
function atCommit(path: string): string {
  try {
    return execFileSync('git', ['show', `${PREVIOUS.commit}:${path}`], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(
      `cannot read ${path} of release ${PREVIOUS.version} (${PREVIOUS.commit}) from git: the ` +
        `compatibility gate needs the repository's history (not a shallow clone)\n${String(error)}`,
    );
  }
}

export function previousOpenApi(): OpenApi {
  return JSON.parse(atCommit('openapi.json')) as OpenApi;
}

/**
 * The previous release's AsyncAPI document: the one recorded under releases/<version>/ when
 * there is one (0.1.0 had none, so its document was reconstructed there), else the
 * asyncapi.json of its commit.
 */
export function previousAsyncApi(): Json {
  const recorded = join(ROOT, 'releases', PREVIOUS.version, 'asyncapi.json');
  const text = existsSync(recorded) ? readFileSync(recorded, 'utf8') : atCommit('asyncapi.json');
  return JSON.parse(text) as Json;
}
