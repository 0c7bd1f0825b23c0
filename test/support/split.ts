import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SETTINGS, type TestApp } from './app';
import { dropNatsNamespace, natsNamespace } from './nats';
import { AppProcess } from './process';
import { launchSplit, type SplitOptions } from '../../src/launcher/split';
import { BUSINESS_MODULES, type BusinessModule } from '../../src/shared/modules/registry';
import { SERVICES } from './services';
import { prepareDatabases } from './databases';

/** The split shape under test: the gateway in front of one real process per module, on NATS. */
export interface SplitApp extends TestApp {
  /** Each module's process (replaced when restarted). */
  processes: Record<BusinessModule, AppProcess>;
  /** The environment each module process starts with (its MODULES, PORT included). */
  moduleEnv: Record<BusinessModule, Record<string, string>>;
  gateway: AppProcess;
  /** The environment the gateway starts with (its GATEWAY_UPSTREAMS, PORT included). */
  gatewayEnv: Record<string, string>;
}

/** How to start the split shape under test, besides its environment. */
export interface SplitAppOptions extends Pick<SplitOptions<AppProcess>, 'entry' | 'upstream'> {
  captureLogs?: boolean;
}

/**
 * What a split shape under test runs on: fresh Postgres stores (users and orders; auth on
 * Redis), a NATS namespace of its own, and the tests' settings, overridden by `env`.
 * `cleanup()` drops the stores and the namespace.
 */
export async function splitEnvironment(env: Record<string, string> = {}): Promise<{
  env: Record<string, string>;
  dataDir: string;
  cleanup(): Promise<void>;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-split-'));
  const stores = await prepareDatabases('postgres', dataDir);
  const namespace = natsNamespace();
  return {
    dataDir,
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...TEST_SETTINGS,
      NATS_URL: SERVICES.nats,
      NATS_NAMESPACE: namespace,
      ...stores.env,
      ...env,
    },
    async cleanup() {
      await stores.cleanup();
      await dropNatsNamespace(SERVICES.nats, namespace).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the split shape as `npm run start:split` does: one process per module with
 * TRANSPORT=nats (users and orders on Postgres, auth on Redis) and the gateway in front,
 * all on loopback, in a NATS namespace of their own. `close()` kills every process by PID.
 */
export async function startSplitApp(
  env: Record<string, string> = {},
  options: SplitAppOptions = {},
): Promise<SplitApp> {
  const environment = await splitEnvironment(env);
  const { env: common, dataDir } = environment;
  const started: AppProcess[] = [];
  const processes = {} as Record<BusinessModule, AppProcess>;
  const cleanup = async () => {
    // The processes as they are now: a test may have replaced (restarted) some.
    for (const process of new Set([...started, ...Object.values(processes)])) await process.kill();
    await environment.cleanup();
  };
  try {
    // The launcher `npm run start:split` and the bench use, with the tests' processes.
    const shape = await launchSplit<AppProcess>({
      env: common,
      entry: options.entry,
      upstream: options.upstream,
      start: async (_name, env, entry) => {
        const process = await AppProcess.start(env, { captureLogs: options.captureLogs, entry });
        started.push(process);
        return process;
      },
    });
    for (const module of BUSINESS_MODULES) processes[module] = shape.modules[module].process;
    const moduleEnv = Object.fromEntries(
      BUSINESS_MODULES.map((m) => [m, shape.modules[m].env]),
    ) as Record<BusinessModule, Record<string, string>>;
    const gateway = shape.gateway.process;
    let closed = false;
    return {
      url: gateway.url,
      dataDir,
      env: common,
      processes,
      moduleEnv,
      gateway,
      gatewayEnv: shape.gateway.env,
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
