import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock';
import { MAIN, ROOT } from './paths';

/** A release of cleave that tests can run: its version and the entry point its processes run. */
export interface Release {
  version: string;
  /** The compiled application (`main.js`). */
  main: string;
}

/** This checkout: `src` as the global setup compiled it. */
export const CURRENT_RELEASE: Release = {
  version: (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version,
  main: MAIN,
};

/** What `releases/previous.json` records: a file, because a git tag does not travel with a clone. */
export interface ReleaseRecord {
  version: string;
  commit: string;
}

export function previousReleaseRecord(): ReleaseRecord {
  const file = join(ROOT, 'releases', 'previous.json');
  const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<ReleaseRecord>;
  if (typeof record.version !== 'string' || !/^[0-9a-f]{40}$/.test(record.commit ?? '')) {
    throw new Error(`${file} must give a version and the release's full 40-hex commit`);
  }
  return { version: record.version, commit: record.commit! };
}

/**
 * Where built releases are kept, one directory per commit: outside the checkout, because CI
 * runs on a fresh clone each time and a build takes a minute or more.
 */
export function releaseCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cleave', 'releases');
}

/** The previous release, where its build is (run it only once the global setup built it). */
export function previousRelease(): Release & { commit: string } {
  const { version, commit } = previousReleaseRecord();
  return { version, commit, main: join(releaseCache(), commit, 'dist', 'main.js') };
}

/** Written last, so a directory without it is a build that did not finish and is done again. */
const MARKER = '.cleave-release-built.json';
/** Bounds: `npm ci` may download for minutes on a slow network; another build may hold the lock. */
const STEP_TIMEOUT_MS = 10 * 60_000;
const LOCK_TIMEOUT_MS = 25 * 60_000;

/**
 * Builds the previous release from git history as a fresh clone of it would: its tree at the
 * recorded commit, its own `npm ci` and `npm run build`; or finds that build in the cache.
 * Throws with the reason (and the end of the build's log) when it cannot be done.
 *
 * The tree comes from `git archive`, not `git worktree add`: the result is the same files,
 * but the repository is left untouched (a worktree registers itself in the clone's `.git`,
 * which the next fresh clone no longer has, and which here is shared with other checkouts),
 * so there is no registration to prune, and a clone that cannot be written to works too.
 */
export async function buildPreviousRelease(log: (line: string) => void): Promise<Release> {
  const release = previousRelease();
  const { commit } = release;
  const dir = join(releaseCache(), commit);
  const built = () => existsSync(join(dir, MARKER)) && existsSync(release.main);
  if (built()) return release;
  await mkdir(releaseCache(), { recursive: true });
  return withFileLock(`${dir}.lock`, LOCK_TIMEOUT_MS, async () => {
    // Another run may have built it while this one waited for the lock.
    if (built()) return release;
    const logFile = `${dir}.log`;
    await writeFile(logFile, '');
    const step = (command: string, args: string[], cwd: string) =>
      runLogged(command, args, { cwd, logFile, timeoutMs: STEP_TIMEOUT_MS });
    await step('git', ['cat-file', '-e', `${commit}^{commit}`], ROOT).catch(() => {
      throw new Error(
        `commit ${commit} is not in this clone's history (a shallow clone? git fetch --unshallow)`,
      );
    });
    log(`building ${release.version} (${commit.slice(0, 12)}) into ${dir}; its log: ${logFile}`);
    const started = Date.now();
    // The marker first: a removal cut short must not leave a "built" directory behind.
    await rm(join(dir, MARKER), { force: true });
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const tarball = `${dir}.tar`;
    await step('git', ['archive', '--format=tar', `--output=${tarball}`, commit], ROOT);
    await step('tar', ['-xf', tarball, '-C', dir], dir);
    await rm(tarball, { force: true });
    await step('npm', ['ci', '--no-audit', '--no-fund'], dir);
    await step('npm', ['run', 'build'], dir);
    if (!existsSync(release.main)) throw new Error(`the build wrote no ${release.main}`);
    await writeFile(
      join(dir, MARKER),
      JSON.stringify({ ...release, node: process.version, builtAt: new Date().toISOString() }),
    );
    log(`built ${release.version} in ${Math.round((Date.now() - started) / 1000)} s`);
    return release;
  });
}

/**
 * Runs a command with its output appended to `logFile`, in a process group of its own so that
 * a timeout kills what it started too (npm's install scripts). Rejects unless it exits 0.
 */
function runLogged(
  command: string,
  args: string[],
  options: { cwd: string; logFile: string; timeoutMs: number },
): Promise<void> {
  const out = openSync(options.logFile, 'a');
  // NODE_ENV=test (Jest's) has no business in a build; `production` would drop devDependencies.
  const { NODE_ENV: _, ...env } = process.env;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const what = `${command} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const tail = readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-15);
      const how = signal ? `was killed (${signal}; bound ${options.timeoutMs} ms)` : `exit ${code}`;
      reject(new Error(`${what} failed (${how}):\n${tail.join('\n')}`));
    });
  });
}

/**
 * The version a running process says it is: its OpenAPI document's (the package's, or for the
 * gateway the committed document's), so a test can tell which release really answers.
 */
export async function servedVersion(url: string): Promise<string> {
  const res = await fetch(`${url}/docs/openapi.json`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { info: { version: string } }).info.version;
}
