import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import type { ManagedProcess } from '../../src/launcher/managed-process';
import { withDatabase } from '../database';
import { inheritedEnv, startOnFreePort } from '../processes';
import { HOST, log } from '../settings';
import { logFile, workspace } from '../workspace';

/**
 * brocoders/nestjs-boilerplate, relational variant (TypeORM on Postgres), as the comparison runs
 * it: from an installed and built checkout (BROCODERS_DIR), on its own fresh database, migrated
 * and seeded by its own compiled migration and seed runner, started with `node dist/main.js`
 * (its `start:prod`) in production mode on a loopback port.
 */

/** The files of the checkout the comparison runs, relative to it. */
const FILES = {
  main: 'dist/main.js',
  dataSource: 'dist/database/data-source.js',
  seed: 'dist/database/seeds/relational/run-seed.js',
  typeormCli: 'node_modules/typeorm/cli.js',
  bcryptjs: 'node_modules/bcryptjs/package.json',
  envExample: 'env-example-relational',
} as const;

export interface Checkout {
  dir: string;
  /** Its commit, when BROCODERS_COMMIT names it (an unpacked archive has no git metadata). */
  commit?: string;
}

/** The checkout BROCODERS_DIR names; fails, naming what is missing, when it cannot run. */
export function brocodersCheckout(): Checkout {
  const raw = process.env.BROCODERS_DIR;
  if (!raw) {
    throw new Error(
      'BROCODERS_DIR is not set: point it at a checkout of brocoders/nestjs-boilerplate whose ' +
        'dependencies are installed (node_modules/) and which is built (dist/), as its README ' +
        'says; see the header of bench/compare/brocoders.ts',
    );
  }
  const dir = isAbsolute(raw) ? raw : resolve(raw);
  const missing = Object.values(FILES).filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new Error(
      `BROCODERS_DIR=${dir} lacks ${missing.join(', ')}: the comparison runs an installed ` +
        '(node_modules/) and built (dist/) checkout of brocoders/nestjs-boilerplate',
    );
  }
  return { dir, ...(process.env.BROCODERS_COMMIT && { commit: process.env.BROCODERS_COMMIT }) };
}

/**
 * Its environment: its own env-example-relational, then production mode, the bench's database,
 * fresh random secrets (it refuses the example's), a loopback port, and mail and Redis pointed
 * at loopback (neither is used by the measured requests).
 */
function brocodersEnv(checkout: Checkout, databaseUrl: string, port: number) {
  const example = parseEnvFile(readFileSync(join(checkout.dir, FILES.envExample), 'utf8'));
  const db = new URL(databaseUrl);
  const secret = () => randomBytes(32).toString('hex');
  return {
    ...example,
    ...inheritedEnv(),
    NODE_ENV: 'production',
    PORT: String(port),
    APP_PORT: String(port),
    ...(port > 0 && { BACKEND_DOMAIN: `http://${HOST}:${port}` }),
    DATABASE_TYPE: 'postgres',
    DATABASE_URL: '',
    DATABASE_HOST: db.hostname,
    DATABASE_PORT: db.port || '5432',
    DATABASE_USERNAME: decodeURIComponent(db.username),
    DATABASE_PASSWORD: decodeURIComponent(db.password),
    DATABASE_NAME: db.pathname.slice(1),
    DATABASE_SYNCHRONIZE: 'false',
    MAIL_HOST: HOST,
    WORKER_HOST: `redis://${HOST}:6379/1`,
    AUTH_JWT_SECRET: secret(),
    AUTH_REFRESH_SECRET: secret(),
    AUTH_FORGOT_SECRET: secret(),
    AUTH_CONFIRM_EMAIL_SECRET: secret(),
  };
}

/** KEY=value lines (quotes around a value dropped); comments and blank lines skipped. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    env[match[1]] = match[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/**
 * It listens on every interface (`app.listen(port)`); this preload, written to the run's temp
 * dir, makes a listen without a host listen on loopback only.
 */
function loopbackPreload(): string {
  const file = join(workspace(), 'loopback-listen.cjs');
  writeFileSync(
    file,
    `const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, ${JSON.stringify(HOST)});
  } else if (first && typeof first === 'object' && first.port !== undefined && !first.host) {
    args[0] = { ...first, host: ${JSON.stringify(HOST)} };
  }
  return listen.apply(this, args);
};
`,
  );
  return file;
}

/** Runs a Node script of the checkout to its end (output in the run's log of `label`). */
function runScript(label: string, checkout: Checkout, args: string[], env: Record<string, string>) {
  return new Promise<void>((resolvePromise, reject) => {
    const out = openSync(logFile(label), 'a');
    const child = spawn(process.execPath, args, {
      cwd: checkout.dir,
      env,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else
        reject(new Error(`${label} failed (${signal ?? `exit ${code}`}); log: ${logFile(label)}`));
    });
  });
}

/** What the scenarios need of its database: its seeded accounts, and enough users to list. */
export interface BrocodersData {
  /** Seeded by its seed runner: an admin and a user, both with the password `secret`. */
  admin: { email: string; password: string };
  user: { email: string; password: string };
  /** The bcrypt cost of its stored hashes (read from the seeded hash). */
  bcryptCost: number;
  /** A seeded hash, to time one bcryptjs comparison alone. */
  userHash: string;
}

/**
 * Its migrations and seeds on `databaseUrl`, then `extraUsers` more users (copies of the seeded
 * user's row under other emails, inserted directly: its sign-up sends mail) so that a page of
 * 10 is full, as it is on cleave.
 */
export async function prepareBrocoders(
  checkout: Checkout,
  databaseUrl: string,
  extraUsers: number,
): Promise<BrocodersData> {
  // No port: the migrations and seeds do not listen.
  const env = brocodersEnv(checkout, databaseUrl, 0);
  log('brocoders: migrations');
  await runScript(
    'brocoders-migrate',
    checkout,
    [FILES.typeormCli, '-d', FILES.dataSource, 'migration:run'],
    env,
  );
  log('brocoders: seeds');
  await runScript('brocoders-seed', checkout, [FILES.seed], env);
  const user = { email: 'john.doe@example.com', password: 'secret' };
  const userHash = await withDatabase(databaseUrl, async (client) => {
    const { rows } = await client.query<{ password: string }>(
      'SELECT password FROM "user" WHERE email = $1',
      [user.email],
    );
    if (rows.length !== 1) throw new Error(`brocoders' seeds did not create ${user.email}`);
    await client.query(
      `INSERT INTO "user" (email, password, provider, "firstName", "lastName", "roleId", "statusId")
       SELECT 'bench-' || n || '@example.com', password, provider, 'Bench', 'User ' || n,
              "roleId", "statusId"
       FROM "user", generate_series(1, $2::int) AS n WHERE email = $1`,
      [user.email, extraUsers],
    );
    return rows[0].password;
  });
  const cost = /^\$2[abxy]?\$(\d+)\$/.exec(userHash);
  if (!cost) throw new Error('brocoders: the seeded password is not a bcrypt hash');
  return {
    admin: { email: 'admin@example.com', password: 'secret' },
    user,
    bcryptCost: Number(cost[1]),
    userHash,
  };
}

export interface RunningBrocoders {
  process: ManagedProcess;
  port: number;
}

/** Started on `databaseUrl` (migrated and seeded), ready once GET / answers 200. */
export async function startBrocoders(
  checkout: Checkout,
  databaseUrl: string,
  extraNodeArgs: readonly string[] = [],
): Promise<RunningBrocoders> {
  // Its port is in three of its variables: all three set for each port tried.
  const { child: process, port } = await startOnFreePort((port) => ({
    label: 'brocoders',
    env: brocodersEnv(checkout, databaseUrl, port),
    entry: join(checkout.dir, FILES.main),
    nodeArgs: ['--require', loopbackPreload(), ...extraNodeArgs],
    readyPath: '/',
    cwd: checkout.dir,
  }));
  log(`brocoders ready on ${HOST}:${port}`);
  return { process, port };
}

/** Milliseconds of one bcryptjs comparison (its library, from its node_modules), sequentially. */
export async function bcryptCompareMs(
  checkout: Checkout,
  data: BrocodersData,
  rounds = 20,
): Promise<number> {
  const bcrypt = createRequire(join(checkout.dir, FILES.main))('bcryptjs') as {
    compare(password: string, hash: string): Promise<boolean>;
  };
  if (!(await bcrypt.compare(data.user.password, data.userHash))) {
    throw new Error("bcryptjs did not verify brocoders' seeded password");
  }
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await bcrypt.compare(data.user.password, data.userHash);
  return (performance.now() - started) / rounds;
}
