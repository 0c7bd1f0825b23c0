import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ADMIN } from './app';
import type { StoreKind } from './services';
import { prepareStores } from './stores';

/** The compiled entry point of this test run (scripts/test.js compiles src beside the tests). */
const MAIN = join(__dirname, '..', '..', 'src', 'main.js');

/** A real cleave process on loopback, for crash and restart tests; always killed by PID. */
export class AppProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  /** What the process wrote to stdout, line by line, when started with `captureLogs`. */
  readonly logLines: string[] = [];

  private constructor(
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Prepares fresh stores of one shape for a series of processes. */
  static async prepare(
    store: Exclude<StoreKind, 'split'>,
  ): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'cleave-proc-'));
    const stores = await prepareStores(store, dataDir);
    return {
      env: { DATA_DIR: dataDir, ...stores.env },
      async cleanup() {
        await rm(dataDir, { recursive: true, force: true });
        await stores.cleanup();
      },
    };
  }

  /** Starts a process on `env.PORT` (a free port when unset) and waits until it is ready. */
  static async start(
    env: Record<string, string>,
    options: { captureLogs?: boolean; readyWithinMs?: number; exactEnv?: boolean } = {},
  ): Promise<AppProcess> {
    const port = env.PORT ? Number(env.PORT) : await freePort();
    // exactEnv: nothing but `env` (and PATH), e.g. what a Helm chart renders for a container.
    const defaults: Record<string, string> = options.exactEnv
      ? {}
      : {
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          ADMIN_EMAIL: ADMIN.email,
          ADMIN_PASSWORD: ADMIN.password,
          AUTH_RATE_LIMIT_PER_MINUTE: '100000',
          OUTBOX_POLL_MS: '100',
          OUTBOX_LEASE_MS: '1000',
        };
    const full: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...defaults,
      ...env,
      PORT: String(port),
    };
    const app = new AppProcess(`http://127.0.0.1:${port}`, full);
    app.child = spawn(process.execPath, [MAIN], {
      env: full,
      stdio: ['ignore', options.captureLogs ? 'pipe' : 'ignore', 'inherit'],
    });
    const child = app.child;
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => app.logLines.push(line));
    }
    app.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    try {
      await app.waitReady(options.readyWithinMs ?? 60_000);
    } catch (error) {
      await app.kill();
      throw error;
    }
    return app;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the process ended: its exit code, or null while it runs or when a signal killed it. */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** Sends a signal without waiting (SIGTERM starts a graceful stop). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child?.exitCode !== null) {
        throw new Error(
          `cleave exited before it was ready${this.logLines.length > 0 ? `:\n${this.logLines.slice(-20).join('\n')}` : ''}`,
        );
      }
      const ok = await fetch(`${this.url}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error('cleave was not ready in time');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Resolves when the process has exited (e.g. at a failpoint). */
  waitExit(): Promise<void> {
    return this.exited ?? Promise.resolve();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill(signal);
    await this.waitExit();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
