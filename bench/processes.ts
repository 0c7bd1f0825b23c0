import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, NODE_ARGS, onFreePort } from '../src/launcher/managed-process';
import { APP_MAIN } from './built';
import { HOST, log, settings } from './settings';
import { logFile } from './workspace';
import { measure, type ScenarioResult } from './measure';

/** Every child the bench started and that has not exited: stopped by PID at the end. */
const children = new Set<ManagedProcess>();

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

/** A started child and the port it listens on. */
export interface Started {
  child: ManagedProcess;
  port: number;
}

/**
 * `startChild` on a free loopback port (`onFreePort`: chosen again if another process took it):
 * given in its environment's PORT, or, for a program that wants it elsewhere, wherever the
 * options made for that port put it.
 */
export function startOnFreePort(
  options: ChildOptions | ((port: number) => ChildOptions),
): Promise<Started> {
  const forPort =
    typeof options === 'function'
      ? options
      : (port: number) => ({ ...options, env: { ...options.env, PORT: String(port) } });
  return onFreePort(async (port) => ({ child: await startChild(forPort(port)), port }), {
    host: HOST,
  });
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
): Promise<Started> {
  const { child, port } = await startOnFreePort({
    label,
    entry: join(__dirname, `${label}.js`),
    readyPath,
    env: { ...inheritedEnv(), NODE_ENV: 'production', HOST, ...env },
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

/** One measurement of a mode and of the baseline it ran beside, at the same time. */
export interface SideBySide {
  mode: ScenarioResult;
  baseline: ScenarioResult;
}

/**
 * `GET /api/users/me`, as each of `readers` in turn (their Authorization headers), on one app
 * process per mode and, beside each, one of `baseline`'s, all started first (each on a port
 * chosen here), then each mode measured at the same time as its baseline, each with half the
 * connections, in `rounds` rounds (the modes' order rotated each round), after one round that is
 * not recorded; stopped at the end. What the A/B scenarios (observability, rate limits) compare.
 * The unrecorded round is each process' first measured load (after `measure`'s warm-up), which
 * is not what a mode costs a process that has been serving: in the bench run of 2026-12-06 11:47
 * UTC, the baselines ran 1.4-1.6 times the CPU per request in their first round that they ran in
 * their second, the modes 1.5-2.0 times; the first round read the logs' cost at 24 %, the default
 * sampling's at 29 % and every request sampled at 29 %, against medians of 10, 15 and 16 % over
 * the four rounds after it (OTLP: 22 % against 21 %). The
 * app processes all run on one CPU (`pinTogether`): loaded together, the two measured share that
 * CPU equally at every instant, so a change in the machine's speed (which on a shared machine
 * moves the same code's CPU per request by half within a minute, and two identical processes
 * measured one after the other by 15-30 %) hits both alike, and their req/s differ by what a
 * request costs each. Two identical processes measured so agree within about 5 %. Each mode has
 * a baseline process of its own, so that the two of a pair have served alike and sat idle alike
 * between their turns (a baseline shared by every mode is loaded in every pair, so it is always
 * warm while each mode waits for its turn). Every answer must be a 2xx, or the run says so.
 */
export async function measureMeBeside<Baseline extends string, Mode extends string>(
  baseline: Baseline,
  modes: readonly Mode[],
  options: (mode: Baseline | Mode) => ChildOptions,
  readers: Array<Record<string, string>>,
  rounds: number,
): Promise<Record<Mode, SideBySide[]>> {
  const apps = new Map<Mode, Started>();
  const baselines = new Map<Mode, Started>();
  const connections = Math.max(1, Math.round(settings.connections / 2));
  const run = async ({ child, port }: Started, label: string) => {
    const result = await measure(
      {
        name: `GET /api/users/me (${label})`,
        target: 'app',
        method: 'GET',
        path: '/api/users/me',
        headers: readers[0],
        users: readers,
        pid: child.pid,
        connections,
        ownThread: true,
      },
      port,
    );
    if (result.non2xx > 0) throw new Error(`${result.name}: ${result.non2xx} non-2xx answers`);
    return result;
  };
  const all = () => [...apps.values(), ...baselines.values()];
  try {
    for (const mode of modes) {
      const base = options(baseline);
      baselines.set(
        mode,
        await startOnFreePort({ ...base, label: `${base.label}-beside-${mode}` }),
      );
      apps.set(mode, await startOnFreePort(options(mode)));
    }
    pinTogether(all().map(({ child }) => pidOf(child)));
    const runs = Object.fromEntries(modes.map((m) => [m, [] as SideBySide[]])) as Record<
      Mode,
      SideBySide[]
    >;
    // Round 0 is the unrecorded one.
    for (let round = 0; round <= rounds; round++) {
      const shift = round % modes.length;
      for (const mode of [...modes.slice(shift), ...modes.slice(0, shift)]) {
        const label = round === 0 ? 'first load, not recorded' : `round ${round} of ${rounds}`;
        const [base, measured] = await Promise.all([
          run(baselines.get(mode)!, `${baseline} beside ${mode}, ${label}`),
          run(apps.get(mode)!, `${mode}, ${label}`),
        ]);
        if (round > 0) runs[mode].push({ mode: measured, baseline: base });
      }
    }
    return runs;
  } finally {
    await Promise.all(all().map(({ child }) => stopChild(child)));
  }
}

/**
 * Keeps every thread of these processes (and those they start later) on the machine's last CPU
 * (Linux `taskset`), so that they share it evenly when loaded together; the load generator and
 * the database keep every CPU. Without `taskset`, or on one CPU, they are left where they are.
 */
function pinTogether(pids: number[]): void {
  const cpu = cpus().length - 1;
  if (cpu < 1) return;
  try {
    for (const pid of pids) {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    }
    log(`pinned pids ${pids.join(', ')} to CPU ${cpu}`);
  } catch (error) {
    log(`not pinned to one CPU (${error instanceof Error ? error.message : String(error)})`);
  }
}
