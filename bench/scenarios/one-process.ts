import { randomBytes } from 'node:crypto';
import type { ManagedProcess } from '../../src/launcher/managed-process';
import { expectRequest } from '../http';
import { measure, type Scenario, type ScenarioResult } from '../measure';
import { ORDER_BODY } from '../mixed';
import { inheritedEnv, pidOf, startOnFreePort } from '../processes';
import { HOST, log, settings } from '../settings';
import { dataDir, logFile } from '../workspace';
import { measureMixed, readyMemory, type MixedResult } from './mixed';
import { drainOutbox, outboxFigures, type OutboxFigures } from './outbox';

/**
 * The app in one process (every module, TRANSPORT=local) on the bench database: the mixed load
 * first (so that its idle and peak are those of a fresh process, as on the other shapes), then
 * /me, order creation (at full load and paced, with the outbox's figures), order listing, the
 * admin's user listing and login; the app's memory through each.
 */

/** The admin the app makes at start (ADMIN_EMAIL, ADMIN_PASSWORD: AdminBootstrap). */
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1234' };

/** Accounts the admin's listing finds at least: a full page of 10 and one more (a next cursor). */
const LISTED_USERS = 11;

/** The user the scenarios act as, signed up on the one-process app. */
export interface Fixture {
  email: string;
  password: string;
  /** The Authorization header of its access token. */
  auth: Record<string, string>;
  /** Its GET /api/users/me body, as the app answers it. */
  me: string;
  /** The Authorization header of the admin's access token (ADMIN). */
  adminAuth: Record<string, string>;
  /**
   * Accounts, the user's among them, one per connection of a load, that a user's reads
   * (`GET /api/users/me`, `GET /api/orders`) act as in turn, each with a full page of orders:
   * their emails (the password is the user's) and the Authorization headers of their tokens.
   */
  readers: Array<{ email: string; auth: Record<string, string> }>;
}

/**
 * A scenario of the app, and which outbox figures it yields; `asAdmin`: made as the admin (the
 * split shape signs the admin in again); `read`: one of the reads the Fastify+pg baseline serves.
 */
export type AppScenario = Scenario & {
  outbox?: 'saturated' | 'paced';
  asAdmin?: boolean;
  read?: boolean;
};

export interface OneProcessResults {
  results: ScenarioResult[];
  outbox: Partial<Record<'saturated' | 'paced', OutboxFigures>>;
  mixed: MixedResult;
}

/** The bench app's environment on the bench database; its starter sets PORT. */
export function appEnv(databaseUrl: string): Record<string, string> {
  return {
    ...inheritedEnv(),
    NODE_ENV: 'production',
    HOST,
    LOG_LEVEL: 'info',
    USER_DATABASE_URL: databaseUrl,
    ORDER_DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir(),
    AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_TOKEN_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
}

/** The app started on the bench database, ready. */
export interface App {
  process: ManagedProcess;
  port: number;
  env: Record<string, string>;
  /** Its RSS once ready and settled, before any request (MiB). */
  readyMiB: Record<string, number>;
}

export async function startApp(databaseUrl: string): Promise<App> {
  const env = appEnv(databaseUrl);
  const { child: process, port } = await startOnFreePort({ label: 'app', env });
  log(`app ready on ${HOST}:${port}`);
  const readyMiB = await readyMemory({ app: pidOf(process) });
  return { process, port, env: { ...env, PORT: String(port) }, readyMiB };
}

/**
 * Signs a user up and in (and enough others for the admin's listing to fill a page), signs the
 * admin in, and checks that every scenario answers 2xx before it is measured.
 */
export async function signUp(port: number): Promise<Fixture> {
  const password = 'bench-password-1234';
  const accounts = Math.max(LISTED_USERS - 1, settings.connections);
  const emails = Array.from(
    { length: accounts },
    () => `bench-${randomBytes(4).toString('hex')}@example.com`,
  );
  // The last one is the bench user, the newest account.
  const email = emails[emails.length - 1];
  const signUpReader = async (reader: string) => {
    await expectRequest(port, 'POST', '/api/users', 201, {
      body: JSON.stringify({ email: reader, password, name: 'Bench User' }),
    });
    return { email: reader, auth: await logIn(port, reader, password) };
  };
  const readers = await inTurn(emails.slice(0, -1), signUpReader);
  readers.push(await signUpReader(email));
  const { auth } = readers[readers.length - 1];
  // A full first page of orders for each (the user's fill up under the order scenarios).
  await inTurn(readers.slice(0, -1), async (reader) => {
    for (let i = 0; i <= ORDERS_PAGE; i++) {
      await expectRequest(port, 'POST', '/api/orders', 201, {
        headers: reader.auth,
        body: ORDER_BODY,
      });
    }
  });
  const me = await expectRequest(port, 'GET', '/api/users/me', 200, { headers: auth });
  await expectRequest(port, 'POST', '/api/orders', 201, { headers: auth, body: ORDER_BODY });
  await expectRequest(port, 'GET', '/api/orders?limit=20', 200, { headers: auth });
  const adminAuth = await logIn(port, ADMIN.email, ADMIN.password);
  await expectRequest(port, 'GET', USERS_PAGE, 200, { headers: adminAuth });
  return { email, password, auth, me, adminAuth, readers };
}

/** `work` for each item, a few at a time (sign-ups and logins hash passwords), in order. */
export async function inTurn<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const AT_ONCE = 4;
  for (let i = 0; i < items.length; i += AT_ONCE) {
    results.push(...(await Promise.all(items.slice(i, i + AT_ONCE).map(work))));
  }
  return results;
}

const USERS_PAGE = '/api/users?limit=10';
/** The orders listing's page size (`GET /api/orders?limit=20`). */
const ORDERS_PAGE = 20;

/** The Authorization header of a fresh access token of the account. */
export async function logIn(
  port: number,
  email: string,
  password: string,
  what?: string,
): Promise<Record<string, string>> {
  const login = await expectRequest(port, 'POST', '/api/auth/login', 200, {
    body: JSON.stringify({ email, password }),
    what,
  });
  const { accessToken } = JSON.parse(login) as { accessToken: string };
  return { authorization: `Bearer ${accessToken}` };
}

/** The admin's credentials, for a shape that signs in again. */
export function adminCredentials(): { email: string; password: string } {
  return { ...ADMIN };
}

export function appScenarios({
  auth,
  adminAuth,
  email,
  password,
  readers,
}: Fixture): AppScenario[] {
  const json = { 'content-type': 'application/json' };
  const createOrder = {
    target: 'app',
    method: 'POST',
    path: '/api/orders',
    headers: { ...auth, ...json },
    body: ORDER_BODY,
  } as const;
  return [
    {
      name: 'GET /api/users/me',
      target: 'app',
      method: 'GET',
      path: '/api/users/me',
      headers: auth,
      users: readers.map((reader) => reader.auth),
      read: true,
    },
    { name: 'POST /api/orders', ...createOrder, outbox: 'saturated' },
    {
      name: 'GET /api/orders?limit=20',
      target: 'app',
      method: 'GET',
      path: `/api/orders?limit=${ORDERS_PAGE}`,
      headers: auth,
      users: readers.map((reader) => reader.auth),
      read: true,
    },
    {
      name: `GET ${USERS_PAGE} (admin)`,
      target: 'app',
      method: 'GET',
      path: USERS_PAGE,
      headers: adminAuth,
      asAdmin: true,
      read: true,
    },
    {
      name: `POST /api/orders @ ${settings.outboxRate}/s`,
      ...createOrder,
      rate: settings.outboxRate,
      // Few connections, so the pace is smooth rather than bursts of every connection at once.
      connections: 4,
      outbox: 'paced',
    },
    {
      name: 'POST /api/auth/login',
      target: 'app',
      method: 'POST',
      path: '/api/auth/login',
      headers: json,
      body: JSON.stringify({ email, password }),
      connections: settings.loginConnections,
    },
  ];
}

/**
 * The mixed load, then each scenario in turn, and after each order creation load the outbox's
 * figures.
 */
export async function measureOneProcess(
  app: App,
  scenarios: AppScenario[],
): Promise<OneProcessResults> {
  const processes = { app: pidOf(app.process) };
  const mixed = await measureMixed('one process', app.port, processes, app.readyMiB);
  assertRunning(app, mixed.name);
  return { ...(await measureScenarios(app, scenarios)), mixed };
}

/** Each scenario in turn, and after each order creation load the outbox's figures. */
export async function measureScenarios(
  app: App,
  scenarios: AppScenario[],
): Promise<Omit<OneProcessResults, 'mixed'>> {
  const processes = { app: pidOf(app.process) };
  const measured: Omit<OneProcessResults, 'mixed'> = { results: [], outbox: {} };
  for (const scenario of scenarios) {
    const result = await measure({ ...scenario, processes, pid: processes.app }, app.port);
    measured.results.push(result);
    assertRunning(app, scenario.name);
    if (scenario.outbox) measured.outbox[scenario.outbox] = await outboxFigures(result.window);
  }
  return measured;
}

export function assertRunning(app: App, during: string): void {
  if (!app.process.running) {
    throw new Error(
      `app exited during ${during} (exit code ${app.process.exitCode}); log: ${logFile('app')}`,
    );
  }
}

/** What the app answered to a read scenario, just before it was stopped. */
export interface AppAnswer {
  scenario: AppScenario;
  body: string;
}

/**
 * What the app answers to each read scenario now, once its outbox has drained (the relay's
 * order events change the user's order summary): the bodies the Fastify+pg baseline must
 * answer too. Taken just before the app stops, so that the database does not change between.
 */
export async function readAnswers(app: App, scenarios: AppScenario[]): Promise<AppAnswer[]> {
  const pending = await drainOutbox();
  if (pending !== 0) log(`WARNING: ${pending} order events still pending; /me may not compare`);
  const answers: AppAnswer[] = [];
  for (const scenario of scenarios.filter((s) => s.read)) {
    const body = await expectRequest(app.port, 'GET', scenario.path, 200, {
      headers: scenario.headers,
    });
    answers.push({ scenario, body });
  }
  return answers;
}
