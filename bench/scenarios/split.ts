import { launchSplit } from '../../src/launcher/split';
import { BUSINESS_MODULES } from '../../src/shared/modules/registry';
import { expectRequest } from '../http';
import { measure, type ScenarioResult } from '../measure';
import type { Pids } from '../memory';
import { pidOf, startChild, stopChild } from '../processes';
import { HOST, log } from '../settings';
import { measureMixed, readyMemory, type MixedResult } from './mixed';
import { adminCredentials, inTurn, logIn, type AppScenario, type Fixture } from './one-process';

export interface SplitResults {
  results: ScenarioResult[];
  mixed: MixedResult;
}

/**
 * The split shape: one process per module on NATS, the gateway in front, started by the
 * launcher `npm run start:split` and the tests use. The mixed load first, as on the one
 * process; then the one-process scenarios that are not paced run again through the gateway, as
 * the same users with tokens the split shape issued. The memory of each of the four processes
 * through each.
 */
export async function measureSplit(
  env: Record<string, string>,
  fixture: Fixture,
  scenarios: AppScenario[],
): Promise<SplitResults> {
  const { port, processes, stop } = await startSplitShape(env, 'split');
  log(`split shape ready: gateway on ${HOST}:${port}`);
  try {
    const readyMiB = await readyMemory(processes);
    const auth = await signIn(port, fixture);
    const readers = await inTurn(fixture.readers, (reader) =>
      logIn(port, reader.email, fixture.password, 'login (split)'),
    );
    const admin = adminCredentials();
    const adminAuth = await logIn(port, admin.email, admin.password, 'admin login (split)');
    const mixed = await measureMixed('split', port, processes, readyMiB);
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios.filter((s) => !s.rate)) {
      const headers = scenario.headers.authorization
        ? { ...scenario.headers, ...(scenario.asAdmin ? adminAuth : auth) }
        : scenario.headers;
      const users = scenario.users && readers;
      results.push(
        await measure({ ...scenario, headers, users, target: 'split', processes }, port),
      );
    }
    return { results, mixed };
  } finally {
    await stop();
    log('split shape stopped');
  }
}

/** A shape the bench started: where it listens, its processes by name, and how to stop them. */
export interface StartedShape {
  port: number;
  processes: Pids;
  stop: () => Promise<void>;
}

/**
 * The split shape as `npm run start:split` runs it, each process's output in the workspace as
 * `<label>-<process>.log`; its gateway's port and every process's PID.
 */
export async function startSplitShape(
  env: Record<string, string>,
  label: string,
): Promise<StartedShape> {
  const shape = await launchSplit({
    env,
    host: HOST,
    start: (name, processEnv) => startChild({ label: `${label}-${name}`, env: processEnv }),
  });
  const processes: Pids = { gateway: pidOf(shape.gateway.process) };
  for (const module of BUSINESS_MODULES) processes[module] = pidOf(shape.modules[module].process);
  return {
    port: shape.gateway.port,
    processes,
    stop: async () => {
      await Promise.all(shape.all().map((child) => stopChild(child)));
    },
  };
}

/** The fixture's user logged in through the gateway; its Authorization header. */
async function signIn(port: number, { email, password }: Fixture): Promise<Record<string, string>> {
  const login = await expectRequest(port, 'POST', '/api/auth/login', 200, {
    body: JSON.stringify({ email, password }),
    what: 'POST /api/auth/login (split)',
  });
  const { accessToken } = JSON.parse(login) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  await expectRequest(port, 'GET', '/api/users/me', 200, {
    headers: auth,
    what: 'GET /api/users/me (split)',
  });
  return auth;
}
