import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, settings } from './settings';

/** The run's temp dir: the processes' logs and the embedded stores' data dir. */
let dir: string | undefined;

export function createWorkspace(): string {
  dir = mkdtempSync(join(tmpdir(), 'cleave-bench-'));
  mkdirSync(dataDir());
  return dir;
}

export function workspace(): string {
  if (dir === undefined) throw new Error('the workspace is not created yet');
  return dir;
}

export function dataDir(): string {
  return join(workspace(), 'data');
}

/** Where a child process's output goes. */
export function logFile(label: string): string {
  return join(workspace(), `${label}.log`);
}

/** Removes it, unless BENCH_KEEP_LOGS=1. */
export function removeWorkspace(): void {
  if (dir === undefined) return;
  if (settings.keepLogs) log(`kept logs in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
