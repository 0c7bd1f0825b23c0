import { removeCpuLimits } from './cpu-limit';
import { dropBenchDatabase } from './database';
import { interruptLoad, isInterrupted, stopLoad } from './load';
import { killChildren, stopChildren } from './processes';
import { removeServerState } from './servers';
import { log } from './settings';
import { removeWorkspace } from './workspace';

/**
 * A run releases what it took, however it ends: the load generator, the child processes (by
 * PID), the CPU limits made for them, the bench's NATS streams and Redis keys, its database and
 * its temp dir.
 */
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    stopLoad();
    await stopChildren();
    removeCpuLimits();
    await removeServerState();
    await dropBenchDatabase();
    removeWorkspace();
  })();
  return cleaning;
}

/** Runs `main`, cleans up, and exits with its status (1 on an error, 130 when interrupted). */
export function runBench(main: () => Promise<number>): void {
  // Last resort: never leave a child behind, whatever happens to this process.
  process.on('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (isInterrupted()) return;
      interruptLoad();
      log(`${signal} received; cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  main().then(
    async (code) => {
      await cleanup();
      process.exit(code);
    },
    async (error: unknown) => {
      process.stderr.write(
        `[bench] failed: ${error instanceof Error && error.stack ? error.stack : String(error)}\n`,
      );
      await cleanup();
      process.exit(isInterrupted() ? 130 : 1);
    },
  );
}
