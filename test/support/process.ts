import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SETTINGS } from './app';
import type { Shape } from './services';
import { prepareDatabases } from './databases';
import { freePort, ManagedProcess, onFreePort } from '../../src/launcher/managed-process';
import { MAIN } from './paths';

/** How `AppProcess.start` runs a process. */
interface StartOptions {
  captureLogs?: boolean;
  readyWithinMs?: number;
  /** Nothing but `env` (and PATH), e.g. what a Helm chart renders for a container. */
  exactEnv?: boolean;
  /** Another release's main.js instead of this checkout's. */
  entry?: string;
}

/**
 * A real cleave process on loopback, for crash and restart tests; always killed by PID. A
 * ManagedProcess (the launchers' own) with the tests' defaults.
 */
export class AppProcess {
  private constructor(
    readonly url: string,
    private readonly child: ManagedProcess,
  ) {}

  /** What the process wrote to stdout, line by line, when started with `captureLogs`. */
  get logLines(): string[] {
    return this.child.logLines;
  }

  /** Prepares fresh stores of one shape for a series of processes. */
  static async prepare(
    store: Exclude<Shape, 'split'>,
  ): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'cleave-proc-'));
    const stores = await prepareDatabases(store, dataDir);
    return {
      env: { DATA_DIR: dataDir, ...stores.env },
      async cleanup() {
        await rm(dataDir, { recursive: true, force: true });
        await stores.cleanup();
      },
    };
  }

  /**
   * Starts a process on `env.PORT` (a free port when unset) and waits until it is ready. It runs
   * this checkout's compiled `main.js`, or `entry` (another release's).
   */
  static async start(env: Record<string, string>, options: StartOptions = {}): Promise<AppProcess> {
    // A port chosen free may be taken by another test's process before this one listens: a
    // port chosen here is then chosen again.
    return onFreePort((port) => AppProcess.startOnce(env, port, options), {
      port: env.PORT ? Number(env.PORT) : undefined,
    });
  }

  private static async startOnce(
    env: Record<string, string>,
    port: number,
    options: StartOptions,
  ): Promise<AppProcess> {
    // exactEnv: nothing but `env` (and PATH), e.g. what a Helm chart renders for a container.
    const defaults: Record<string, string> = options.exactEnv
      ? {}
      : {
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          ...TEST_SETTINGS,
          OUTBOX_POLL_MS: '100',
          OUTBOX_LEASE_MS: '1000',
        };
    const child = ManagedProcess.spawn({
      label: 'cleave',
      entry: options.entry ?? MAIN,
      env: { PATH: process.env.PATH ?? '', ...defaults, ...env, PORT: String(port) },
      output: options.captureLogs ? 'lines' : 'ignore',
    });
    const app = new AppProcess(`http://127.0.0.1:${port}`, child);
    try {
      await child.waitReady(`${app.url}/ready`, options.readyWithinMs ?? 60_000);
    } catch (error) {
      await app.kill();
      throw error;
    }
    return app;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How the process ended: its exit code, or null while it runs or when a signal killed it. */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Sends a signal without waiting (SIGTERM starts a graceful stop). */
  signal(signal: NodeJS.Signals): void {
    this.child.signal(signal);
  }

  /** Resolves when the process has exited (e.g. at a failpoint). */
  waitExit(): Promise<void> {
    return this.child.exited;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.child.kill(signal);
  }
}

export { freePort };
