import { NODE_ARGS, type ManagedProcess } from '../../src/launcher/managed-process';
import { expectRequest } from '../http';
import { startOnFreePort, stopChild } from '../processes';
import { HOST, log } from '../settings';
import { appEnv } from '../scenarios/one-process';

/**
 * cleave as the comparison runs it: the built app in one process (as `npm run bench` starts it,
 * rate limits raised), on its own fresh database, with an admin made by ADMIN_EMAIL and
 * ADMIN_PASSWORD (src/modules/user/register/admin-bootstrap.ts).
 */

type Account = { email: string; password: string };

export interface CleaveData {
  admin: Account;
  /** The user the scenarios act as. */
  user: Account;
}

const ADMIN: Account = { email: 'admin@bench.example.com', password: 'bench-admin-password-1' };

async function started(databaseUrl: string, nodeArgs: readonly string[] = []) {
  const env = {
    ...appEnv(databaseUrl),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // Stopped between rounds at once (no load balancer to drain from), and its CPU profile
    // written at exit before the bench's grace period ends.
    SHUTDOWN_DRAIN_MS: '0',
  };
  const { child: process, port } = await startOnFreePort({
    label: 'cleave',
    env,
    nodeArgs: [...NODE_ARGS, ...nodeArgs],
  });
  return { process, port };
}

/** Its admin (made at its first start), the user, and `extraUsers` more: 22 users with 20. */
export async function prepareCleave(databaseUrl: string, extraUsers: number): Promise<CleaveData> {
  const { process, port } = await started(databaseUrl);
  try {
    const signUp = (email: string, name: string, password: string) =>
      expectRequest(port, 'POST', '/api/users', 201, {
        body: JSON.stringify({ email, password, name }),
      });
    const user = { email: 'user@bench.example.com', password: 'bench-user-password-1' };
    await signUp(user.email, 'Bench User', user.password);
    for (let n = 1; n <= extraUsers; n++) {
      await signUp(`bench-${n}@bench.example.com`, `Bench User ${n}`, user.password);
    }
    log(`cleave: ${extraUsers + 2} users`);
    return { admin: ADMIN, user };
  } finally {
    await stopChild(process);
  }
}

export interface RunningCleave {
  process: ManagedProcess;
  port: number;
  userToken: string;
  adminToken: string;
}

/** Started on its prepared database, ready, with an access token for the user and the admin. */
export async function startCleave(
  databaseUrl: string,
  data: CleaveData,
  nodeArgs: readonly string[] = [],
): Promise<RunningCleave> {
  const { process, port } = await started(databaseUrl, nodeArgs);
  log(`cleave ready on ${HOST}:${port}`);
  const login = async (account: Account) => {
    const body = await expectRequest(port, 'POST', '/api/auth/login', 200, {
      body: JSON.stringify(account),
    });
    return (JSON.parse(body) as { accessToken: string }).accessToken;
  };
  return { process, port, userToken: await login(data.user), adminToken: await login(data.admin) };
}
