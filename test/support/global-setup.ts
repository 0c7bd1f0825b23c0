import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_TEMPLATE } from './pglite-template';
import { MongoServer, startJongodb } from './mongo';
import { probe, requiredServices, ServiceName, SERVICES, SPLIT_SERVICES } from './services';
import { buildPreviousRelease } from './previous-release';
import { probeContainerEngine } from './container';
import { COMPILED, ROOT } from './paths';
import { CONFORMANCE_DIR } from './conformance-coverage';
import { NODE_ARGS } from '../../src/launcher/managed-process';

declare global {
  /** What the global setup started, for the global teardown (the same process). */
  var cleaveTestCleanup: (() => void) | undefined;
}

/**
 * Jest's global setup, once per run before any test file: compiles src for the processes the
 * tests start, probes the real servers (starting the MongoDB test server unless TEST_MONGO_URL
 * names a real one), and prepares an initialised PGlite data directory. What it learns reaches
 * the test files through the environment, which Jest's workers inherit.
 */
export default async function globalSetup(): Promise<void> {
  compileSrc();
  // The live contract check counts what each run reaches afresh (see conformance.ts).
  rmSync(CONFORMANCE_DIR, { recursive: true, force: true });
  globalThis.cleaveTestCleanup = await probeAndPrepare();
}

/** `npm run build` into .test-dist/src: what child processes run. */
function compileSrc(): void {
  rmSync(COMPILED, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      COMPILED,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  // As `npm run build` does: the template a first start unpacks (see EMBEDDED_TEMPLATE).
  execFileSync(process.execPath, [...NODE_ARGS, join(COMPILED, 'cli', 'embedded-template.js')], {
    stdio: 'inherit',
  });
}

async function probeAndPrepare(): Promise<() => void> {
  const required = requiredServices();
  let mongo: MongoServer | undefined;
  if (!process.env.TEST_MONGO_URL) {
    try {
      mongo = await startJongodb();
      // Also when the run is interrupted before the teardown, or this setup fails (a service
      // REQUIRE_SERVICES names is missing, the previous release cannot be built).
      process.on('exit', () => mongo?.stop());
      process.env.TEST_MONGO_URL = mongo.url;
    } catch (error) {
      process.stdout.write(
        `\n[mongo] the test server did not start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
  const available: string[] = [];
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    const failure = await probe(name);
    if (failure === undefined) {
      available.push(name);
    } else if (required.has(name)) {
      throw new Error(`REQUIRE_SERVICES names ${name}, but it is unreachable: ${failure}`);
    } else {
      process.stdout.write(
        `\n[skip] suites on ${name} are skipped: ${name} unreachable (${failure})\n`,
      );
    }
  }
  // Not a server, but the same rule: the image tests need a container engine.
  const container = probeContainerEngine();
  if ('engine' in container) {
    available.push('container');
    process.env.CLEAVE_TEST_CONTAINER_ENGINE = container.engine;
  } else if (required.has('container')) {
    throw new Error(`REQUIRE_SERVICES names container, but ${container.failure}`);
  } else {
    process.stdout.write(`\n[skip] the image tests are skipped: ${container.failure}\n`);
  }
  // The chart tests need the helm CLI on PATH.
  const helm = spawnSync('helm', ['version', '--short'], { encoding: 'utf8', timeout: 60_000 });
  if (helm.status === 0) {
    available.push('helm');
  } else {
    const failure = `helm version failed (${helm.error?.message ?? helm.stderr.trim()})`;
    if (required.has('helm')) throw new Error(`REQUIRE_SERVICES names helm, but ${failure}`);
    process.stdout.write(`\n[skip] the chart tests are skipped: ${failure}\n`);
  }
  if (await prepareRelease(available, required)) available.push('release');
  process.env.CLEAVE_TEST_AVAILABLE = available.join(',');

  const ready = await stat(`${PGLITE_TEMPLATE}/PG_VERSION`).then(
    () => true,
    () => false,
  );
  if (!ready) {
    await rm(PGLITE_TEMPLATE, { recursive: true, force: true });
    await mkdir(PGLITE_TEMPLATE, { recursive: true });
    const db = await PGlite.create(PGLITE_TEMPLATE);
    await db.close();
  }
  return () => mongo?.stop();
}

/**
 * The previous release, for the release suites: built here, before any test file runs, so that
 * a build (a minute or more on a cold cache; then cached by commit) never takes CPU from another
 * suite's processes and their readiness deadlines, and so that a suite knows before it starts
 * whether to skip, as with every server. Only when a release suite is in the run (the sequencer
 * says so) and the servers those suites need answered. It cannot be built: the run fails when
 * REQUIRE_SERVICES names `release` or in CI (CI=true), and the suites are skipped otherwise.
 */
async function prepareRelease(available: string[], required: Set<string>): Promise<boolean> {
  if (process.env.CLEAVE_TEST_RUNS_RELEASES !== '1') return false;
  const missing = SPLIT_SERVICES.filter((name) => !available.includes(name));
  if (missing.length > 0) {
    process.stdout.write(`\n[skip] the previous release is not built: no ${missing.join(', ')}\n`);
    return false;
  }
  try {
    await buildPreviousRelease((line) => process.stdout.write(`\n[release] ${line}\n`));
    return true;
  } catch (error) {
    const failure = `the previous release cannot be built: ${error instanceof Error ? error.message : String(error)}`;
    if (required.has('release') || process.env.CI === 'true') {
      throw new Error(
        `${required.has('release') ? 'REQUIRE_SERVICES names release' : 'CI'}, but ${failure}`,
      );
    }
    process.stdout.write(`\n[skip] the release suites are skipped: ${failure}\n`);
    return false;
  }
}
