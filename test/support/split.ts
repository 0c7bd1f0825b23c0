import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, type TestApp } from './app';
import { dropNatsNamespace, natsNamespace } from './nats';
import { AppProcess } from './process';
import { launchSplit, SPLIT_MODULES, type SplitModule } from '../../src/launcher/split';
import { SERVICES } from './services';
import { prepareStores } from './stores';

export type { SplitModule };

/** The split shape under test: the gateway in front of one real process per module, on NATS. */
export interface SplitApp extends TestApp {
  /** Each module's process (replaced when restarted). */
  processes: Record<SplitModule, AppProcess>;
  /** The environment each module process starts with (its MODULES, PORT included). */
  moduleEnv: Record<SplitModule, Record<string, string>>;
  gateway: AppProcess;
}

/**
 * Starts the split shape as `npm run start:split` does: one process per module with
 * TRANSPORT=nats (users and orders on Postgres, auth on Redis) and the gateway in front,
 * all on loopback, in a NATS namespace of their own. `close()` kills every process by PID.
 */
export async function startSplitApp(
  env: Record<string, string> = {},
  options: { captureLogs?: boolean } = {},
): Promise<SplitApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-split-'));
  const stores = await prepareStores('postgres', dataDir);
  const namespace = natsNamespace();
  const common: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    TRANSPORT: 'nats',
    NATS_URL: SERVICES.nats,
    NATS_NAMESPACE: namespace,
    ...stores.env,
    ...env,
  };
  const started: AppProcess[] = [];
  const processes = {} as Record<SplitModule, AppProcess>;
  const cleanup = async () => {
    // The processes as they are now: a test may have replaced (restarted) some.
    for (const process of new Set([...started, ...Object.values(processes)])) await process.kill();
    await stores.cleanup();
    await dropNatsNamespace(SERVICES.nats, namespace).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    // The launcher `npm run start:split` and the bench use, with the tests' processes.
    const shape = await launchSplit<AppProcess>({
      env: common,
      start: async (_name, env) => {
        const process = await AppProcess.start(env, options);
        started.push(process);
        return process;
      },
    });
    for (const module of SPLIT_MODULES) processes[module] = shape.modules[module].process;
    const moduleEnv = Object.fromEntries(
      SPLIT_MODULES.map((m) => [m, shape.modules[m].env]),
    ) as Record<SplitModule, Record<string, string>>;
    const gateway = shape.gateway.process;
    let closed = false;
    return {
      url: gateway.url,
      dataDir,
      env: common,
      processes,
      moduleEnv,
      gateway,
      async close() {
        if (closed) return;
        closed = true;
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
