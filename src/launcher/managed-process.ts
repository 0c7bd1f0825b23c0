import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The compiled entry point beside this file (dist/main.js, or the test build's). */
export const MAIN = join(__dirname, '..', 'main.js');

/**
 * How Node runs cleave, wherever it is started: `npm start`, the image's CMD and every launcher
 * (a test holds the three to this list). `--liftoff-only` keeps V8 from recompiling the embedded
 * database's WebAssembly with its optimising compiler: that recompilation is what made a process
 * on embedded storage peak near 900 MB (about 550 MB of it transient compiler memory), and
 * Postgres' work here runs at the same speed either way (README: "Memory"). It changes nothing
 * for a process whose databases are servers. It cannot go in NODE_OPTIONS, which refuses V8 flags.
 */
export const NODE_ARGS: readonly string[] = ['--liftoff-only'];

/**
 * Where a child's output goes: both to the parent's (`inherit`), stdout dropped (`ignore`) or
 * kept in `logLines` (`lines`) with stderr on the parent's, or both appended to a file.
 */
export type Output = 'inherit' | 'ignore' | 'lines' | { file: string };

export interface SpawnOptions {
  /** Names the process in messages. */
  label: string;
  /** Its whole environment (nothing is inherited unless you pass it). */
  env: Record<string, string>;
  /** The script Node runs; cleave's own entry point by default. */
  entry?: string;
  /** Options for Node itself, before the script (e.g. `--require`); `NODE_ARGS` by default. */
  nodeArgs?: readonly string[];
  output?: Output;
  cwd?: string;
}

/**
 * A cleave process started by a launcher (`npm run start:split`, the bench, the tests): spawned
 * with an exact environment, watched until it is ready, stopped by PID (SIGTERM, then SIGKILL
 * after a grace period). What it printed is kept for the error when it dies before ready.
 */
export class ManagedProcess {
  /** What the process wrote, line by line, when started with `output: 'lines'`. */
  readonly logLines: string[] = [];
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  private constructor(
    readonly label: string,
    private readonly output: Output,
    options: SpawnOptions,
  ) {
    const file = typeof output === 'object' ? openSync(output.file, 'a') : undefined;
    const stdout =
      file ?? (output === 'lines' ? 'pipe' : output === 'inherit' ? 'inherit' : 'ignore');
    const stderr = file ?? 'inherit';
    this.child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? NODE_ARGS), options.entry ?? MAIN],
      {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', stdout, stderr],
      },
    );
    if (file !== undefined) closeSync(file);
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on('line', (line) => this.logLines.push(line));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('error', () => undefined);
  }

  static spawn(options: SpawnOptions): ManagedProcess {
    return new ManagedProcess(options.label, options.output ?? 'ignore', options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Its exit code once it exited by itself; null while it runs or after a signal killed it. */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Polls `url` until this process answers it 200. Fails at once when the process exits first
   * (with the end of what it printed; a `PortTakenError` when another process holds its port),
   * and after `timeoutMs`. An answer from another process on the same port (one that chose it
   * free at the same moment and listened first) is not this one being ready: on Linux the
   * listening socket's owner is checked, so that a process that is about to fail to listen is
   * never reported ready.
   */
  async waitReady(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const port = Number(new URL(url).port);
    let last = 'no answer yet';
    for (;;) {
      if (!this.running) {
        if (port && (await portHeld(port))) {
          throw new PortTakenError(
            `${this.label} could not listen on port ${port}: another process holds it`,
          );
        }
        throw new Error(`${this.label} exited before it was ready${this.lastWords()}`);
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const owner = res.ok && port ? await listenerOf(port, this.pid) : undefined;
        if (res.ok && owner !== 'another' && this.running) return;
        last = res.ok
          ? `port ${port} is answered by another process`
          : `HTTP ${res.status}${await detailOf(res)}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.label} was not ready within ${timeoutMs} ms (${last})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends a signal without waiting (SIGTERM starts a graceful stop). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it exited. */
  async stop(graceMs = 15_000): Promise<void> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.signal(signal);
    await this.exited;
  }

  private lastWords(): string {
    const lines =
      typeof this.output === 'object'
        ? readFileSync(this.output.file, 'utf8').trimEnd().split('\n')
        : this.logLines;
    return lines.length > 0 ? `:\n${lines.slice(-20).join('\n')}` : '';
  }
}

/**
 * The process could not listen: another one holds its port. A port chosen free (`freePort`)
 * may be chosen by another launcher too before either listens; choose another and start again.
 */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
}

/** Whether `error` is a `PortTakenError`, from this copy of the module or another (compiled). */
export function isPortTaken(error: unknown): boolean {
  return error instanceof Error && error.name === 'PortTakenError';
}

/**
 * Runs `start` on `port`, or, when unset, on a port `freePort` chooses on `host`: chosen again
 * (three tries in all, never a port already tried) when `start` fails with a `PortTakenError`,
 * because another process took the port before this one listened. A port given is never changed.
 */
export async function onFreePort<T>(
  start: (port: number) => Promise<T>,
  options: { port?: number; host?: string } = {},
): Promise<T> {
  const tried = new Set<number>();
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await untriedPort(tried, options.host));
    tried.add(port);
    try {
      return await start(port);
    } catch (error) {
      if (options.port !== undefined || attempt === 3 || !isPortTaken(error)) throw error;
    }
  }
}

/** A free port on `host` that is not in `tried` (`freePort` chooses at random, so may repeat). */
async function untriedPort(tried: ReadonlySet<number>, host?: string): Promise<number> {
  for (;;) {
    const port = await freePort(host);
    if (!tried.has(port)) return port;
  }
}

/** `: <detail>` of a problem+json answer (what /ready says is missing), or nothing. */
async function detailOf(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  try {
    const detail = (JSON.parse(body) as { detail?: unknown }).detail;
    return typeof detail === 'string' ? `: ${detail.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

/**
 * The sockets bound to local TCP `port` (any address) in this network namespace, from Linux'
 * /proc/net/tcp and tcp6 (`sl local_address rem_address st ... inode`): their state (0A is
 * LISTEN, 06 TIME_WAIT, 07 CLOSE) and inode; undefined without /proc.
 */
async function socketsOn(
  port: number,
): Promise<Array<{ state: string; inode: string }> | undefined> {
  const tables = await Promise.all(
    ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => '')),
  );
  if (tables.every((table) => table === '')) return undefined;
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return tables
    .join('\n')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(suffix))
    .map((fields) => ({ state: fields[3], inode: fields[9] }));
}

/**
 * Whether a process could not listen on `port` because a socket holds it: a server's, or
 * another process's connection that the kernel gave this port (a port chosen from the range
 * for outgoing connections); undefined where that cannot be known.
 */
async function portHeld(port: number): Promise<boolean | undefined> {
  const sockets = await socketsOn(port);
  return sockets && sockets.some(({ state }) => state !== '06' && state !== '07');
}

/**
 * Who listens on TCP `port` (any address) in this network namespace: the process `pid`,
 * another one, or none; undefined where that cannot be known (no Linux /proc). /proc/PID/fd
 * links to the sockets a process holds.
 */
async function listenerOf(
  port: number,
  pid?: number,
): Promise<'this' | 'another' | 'none' | undefined> {
  const sockets = await socketsOn(port);
  if (sockets === undefined) return undefined;
  const inodes = new Set(sockets.filter(({ state }) => state === '0A').map(({ inode }) => inode));
  if (inodes.size === 0) return 'none';
  if (pid === undefined) return 'another';
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode !== undefined && inodes.has(inode)) return 'this';
  }
  return 'another';
}

/**
 * A TCP port free on `host` right now, for a server about to start. Chosen below the kernel's
 * range for outgoing connections (Linux' ip_local_port_range, 32768-60999 by default) where
 * there is room: a port from that range may be given to any process's next connection (to
 * Postgres, NATS, ...) before the server listens on it, which then fails. Elsewhere, or when no
 * port there is free, one the kernel picks.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const first = outgoingPortsFrom();
  if (first !== undefined && first > LISTEN_PORTS_FROM + 1000) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = LISTEN_PORTS_FROM + Math.floor(Math.random() * (first - LISTEN_PORTS_FROM));
      if (await listenable(host, port)) return port;
    }
  }
  return listenOn(host, 0);
}

/** Where freePort's ports start: above the well-known and most registered services' ports. */
const LISTEN_PORTS_FROM = 16384;

/** The first port of the kernel's range for outgoing connections; undefined off Linux. */
function outgoingPortsFrom(): number | undefined {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) ? first : undefined;
  } catch {
    return undefined;
  }
}

function listenable(host: string, port: number): Promise<boolean> {
  return listenOn(host, port).then(
    () => true,
    () => false,
  );
}

/** Listens on `port` (0: one the kernel picks) and closes again; the port listened on. */
function listenOn(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
