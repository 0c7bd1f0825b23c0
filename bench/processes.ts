import {
  freePort as freeLoopbackPort,
  ManagedProcess,
  NODE_ARGS,
} from '../src/launcher/managed-process';
import { APP_MAIN } from './built';
import { HOST, log, settings } from './settings';
import { logFile } from './workspace';

/** Every child the bench started and that has not exited: stopped by PID at the end. */
const children = new Set<ManagedProcess>();

export const freePort = (): Promise<number> => freeLoopbackPort(HOST);

export interface ChildOptions {
  /** Names it in messages and names its log file in the workspace. */
  label: string;
  env: Record<string, string>;
  /** The script it runs: the built app by default. */
  entry?: string;
  /** Options for Node: cleave's own (`NODE_ARGS`) for the app, none for another script. */
  nodeArgs?: readonly string[];
  /** Ready when this path answers 200 on env.PORT. */
  readyPath?: string;
}

/** The variables of this process that a child inherits; everything else is set explicitly. */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Starts a child (output in its log file) and waits until it answers on `readyPath`; stops it
 * when it does not come up.
 */
export async function startChild(options: ChildOptions): Promise<ManagedProcess> {
  const child = ManagedProcess.spawn({
    label: options.label,
    env: options.env,
    entry: options.entry ?? APP_MAIN,
    nodeArgs: options.nodeArgs ?? (options.entry ? [] : NODE_ARGS),
    output: { file: logFile(options.label) },
  });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  log(`started ${options.label} (pid ${child.pid})`);
  try {
    const url = `http://${HOST}:${options.env.PORT}${options.readyPath ?? '/ready'}`;
    await child.waitReady(url, settings.readyTimeoutMs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return child;
}

/** Its PID, which a started child always has. */
export function pidOf(child: ManagedProcess): number {
  if (child.pid === undefined) throw new Error(`${child.label} has no PID`);
  return child.pid;
}

/** SIGTERM by PID, then SIGKILL if it has not exited within the grace period. */
export async function stopChild(child: ManagedProcess, graceMs = 5000): Promise<void> {
  if (child.running) await child.stop(graceMs);
}

export async function stopChildren(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
}

/** Last resort, at exit: never leave a child behind. */
export function killChildren(): void {
  for (const child of children) child.signal('SIGKILL');
}
