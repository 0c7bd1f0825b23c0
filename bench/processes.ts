import { join } from 'node:path';
import {
  freePort as freeLoopbackPort,
  ManagedProcess,
  NODE_ARGS,
} from '../src/launcher/managed-process';
import { APP_MAIN } from './built';
import { HOST, log, settings } from './settings';
import { logFile } from './workspace';
import { measure, type ScenarioResult } from './measure';

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
  /** Its working directory; this process's by default. */
  cwd?: string;
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
    cwd: options.cwd,
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

/**
 * One of the bench's own servers (`bench/<script>.js`: a baseline, the OTLP sink) on a free
 * loopback port, in production mode, with `env` besides PORT and HOST; ready when `readyPath`
 * answers 200.
 */
export async function startBenchServer(
  label: string,
  readyPath: string,
  env: Record<string, string> = {},
): Promise<{ child: ManagedProcess; port: number }> {
  const port = await freePort();
  const child = await startChild({
    label,
    entry: join(__dirname, `${label}.js`),
    readyPath,
    env: { ...inheritedEnv(), NODE_ENV: 'production', PORT: String(port), HOST, ...env },
  });
  log(`${label} ready on ${HOST}:${port}`);
  return { child, port };
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

/**
 * `GET /api/users/me` on a fresh app process started with `options` (its PORT is chosen here),
 * measured and stopped: what the A/B scenarios (observability, rate limits) compare. Every answer
 * must be a 2xx, or the run says so.
 */
export async function measureMeOnFreshApp(
  name: string,
  options: Omit<ChildOptions, 'env'> & { env: Record<string, string> },
  auth: Record<string, string>,
): Promise<ScenarioResult> {
  const port = await freePort();
  const child = await startChild({ ...options, env: { ...options.env, PORT: String(port) } });
  try {
    const result = await measure(
      { name, target: 'app', method: 'GET', path: '/api/users/me', headers: auth, pid: child.pid },
      port,
    );
    if (result.non2xx > 0) throw new Error(`${result.name}: ${result.non2xx} non-2xx answers`);
    return result;
  } finally {
    await stopChild(child);
  }
}
