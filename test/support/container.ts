import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import type { ContainerConstraints } from './chart';
import { ROOT } from './paths';

const run = promisify(execFile);

const NODE_MAJOR = (readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim().split('.')[0] ?? '24').trim();
export const BASE_IMAGE = `docker.io/library/node:${NODE_MAJOR}-bookworm-slim`;
export const IMAGE = 'localhost/cleave:test';

export type Engine = 'docker' | 'podman';

const answers = (command: string, args: string[]) =>
  spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;

/**
 * The container engine the image tests use: CLEAVE_CONTAINER_ENGINE when set (`none` turns
 * them off), else `docker` where an engine answers, else `podman`. A reason when there is none.
 */
export function probeContainerEngine(): { engine: Engine } | { failure: string } {
  const chosen = process.env.CLEAVE_CONTAINER_ENGINE;
  if (chosen === 'none') return { failure: 'CLEAVE_CONTAINER_ENGINE=none' };
  const candidates: Engine[] =
    chosen === 'docker' || chosen === 'podman' ? [chosen] : ['docker', 'podman'];
  const failures: string[] = [];
  for (const engine of candidates) {
    if (!answers(engine, ['info'])) {
      failures.push(`${engine} info failed`);
      continue;
    }
    // An engine can answer and still be unable to run anything (podman without a runtime
    // configuration that works on the host): run the base image once to know.
    const trial = spawnSync(
      engine,
      ['run', '--rm', '--network=host', BASE_IMAGE, 'node', '-e', ''],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    if (trial.status === 0) return { engine };
    const reason = (trial.stderr || trial.error?.message || '').trim().split('\n').pop();
    failures.push(`${engine} cannot run ${BASE_IMAGE} (${reason})`);
  }
  return { failure: `no container engine can run the image: ${failures.join('; ')}` };
}

/** The engine the global setup found, when it found one. */
export function containerEngine(): Engine {
  const engine = process.env.CLEAVE_TEST_CONTAINER_ENGINE;
  if (engine !== 'docker' && engine !== 'podman') throw new Error('no container engine');
  return engine;
}

export async function engineRun(
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const { stdout } = await run(containerEngine(), args, {
    // Not in the checkout: podman's conmon writes a file named `oom` into its working directory
    // when it sees a container killed at its memory limit (the memory-limit test does that), and
    // three commits took it in by mistake.
    cwd: tmpdir(),
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/**
 * Builds the image from the repository once per test run (the engine's layer cache makes a
 * rebuild of unchanged sources take seconds). Podman resolves the base image locally when it is
 * there (on a machine without a registry, CI makes it: see `.ci/run`).
 */
export async function buildImage(): Promise<{ ms: number }> {
  const engine = containerEngine();
  const args = ['build', '--network=host', '-t', IMAGE, '--build-arg', 'VERSION=test'];
  if (engine === 'podman' && answers('podman', ['image', 'exists', BASE_IMAGE])) {
    args.push('--pull=never');
  }
  const started = Date.now();
  try {
    await engineRun([...args, ROOT], { timeoutMs: 15 * 60_000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${engine} build failed: ${stderr?.slice(-2000) ?? String(error)}`);
  }
  return { ms: Date.now() - started };
}

/** A container of the image on the host's network, removed (with its anonymous volumes) by `remove`. */
export class Container {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  /**
   * Starts the image detached with `env` on loopback port `port`: read-only root filesystem,
   * `volume` (a named volume) or an anonymous one at /data, the only writable place.
   */
  static async start(
    env: Record<string, string>,
    port: number,
    options: {
      volume?: string;
      name?: string;
      /** What a rendered Deployment declares: limits, user, read-only root (default: read-only). */
      constraints?: ContainerConstraints;
      /** The command instead of the image's CMD (e.g. what the chart renders). */
      command?: string[];
    } = {},
  ): Promise<Container> {
    const name = options.name ?? `cleave-test-${randomBytes(4).toString('hex')}`;
    const constraints = options.constraints ?? { readOnlyRootFilesystem: true };
    const readOnly = !constraints.readOnlyRootFilesystem
      ? []
      : containerEngine() === 'podman'
        ? // podman adds writable tmpfs mounts (/tmp, /run, ...) to --read-only; docker adds none.
          ['--read-only', '--read-only-tmpfs=false']
        : ['--read-only'];
    const limits = [
      // No swap, as on a Kubernetes node: the limit is the memory.
      ...(constraints.memoryBytes !== undefined
        ? [
            '--memory',
            `${constraints.memoryBytes}b`,
            '--memory-swap',
            `${constraints.memoryBytes}b`,
          ]
        : []),
      ...(constraints.cpus !== undefined ? ['--cpus', String(constraints.cpus)] : []),
      ...(constraints.user !== undefined ? ['--user', constraints.user] : []),
    ];
    const full = { HOST: '127.0.0.1', ...env, PORT: String(port) };
    await engineRun([
      'run',
      '--detach',
      '--name',
      name,
      '--network=host',
      ...readOnly,
      ...limits,
      ...(options.volume ? ['--volume', `${options.volume}:/data`] : []),
      ...Object.entries(full).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
      IMAGE,
      ...(options.command ?? []),
    ]);
    return new Container(name, `http://127.0.0.1:${port}`);
  }

  /**
   * Whether it is still running, and if not how it ended: `oomKilled` when the kernel killed it
   * at its memory limit (exit 137).
   */
  async state(): Promise<{ running: boolean; exitCode: number; oomKilled: boolean }> {
    const [running, exitCode, oomKilled, id] = (
      await this.inspect('{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.Id}}')
    ).split(' ');
    return {
      running: running === 'true',
      exitCode: Number(exitCode),
      // Podman on cgroup v1 does not always notice; the kernel's log names the cgroup it killed in.
      oomKilled: oomKilled === 'true' || (exitCode === '137' && killedByKernelAtLimit(id ?? '')),
    };
  }

  /** The peak resident memory of its process (node is PID 1) so far, in bytes. */
  async peakMemoryBytes(): Promise<number> {
    const { code, output } = await this.exec(['cat', '/proc/1/status']);
    const kib = /VmHWM:\s+(\d+) kB/.exec(output)?.[1];
    if (code !== 0 || kib === undefined) throw new Error(`no memory figures: ${output}`);
    return Number(kib) * 1024;
  }

  /** Waits until `/ready` answers 200; the container's last log lines when it does not. */
  async waitReady(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      const ok = await fetch(`${this.url}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return Date.now() - started;
      const state = await this.state();
      if (!state.running || Date.now() - started > timeoutMs) {
        throw new Error(
          `container ${this.name} ${state.running ? 'was not ready in time' : describeEnd(state)}:\n${await this.logs()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  inspect(format: string): Promise<string> {
    return engineRun(['inspect', '--format', format, this.name]);
  }

  async logs(): Promise<string> {
    const { stdout, stderr } = await run(containerEngine(), ['logs', '--tail', '40', this.name], {
      timeout: 30_000,
    }).catch(() => ({ stdout: '', stderr: '' }));
    return `${stdout}${stderr}`;
  }

  /** Runs a command inside; its exit code and output. */
  async exec(command: string[]): Promise<{ code: number; output: string }> {
    try {
      return { code: 0, output: await engineRun(['exec', this.name, ...command]) };
    } catch (error) {
      const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof code === 'number' ? code : -1,
        output: `${stdout ?? ''}${stderr ?? ''}`,
      };
    }
  }

  /** `stop` as an orchestrator does it: the image's STOPSIGNAL, then SIGKILL after `graceS`. */
  async stop(graceS: number): Promise<void> {
    await engineRun(['stop', '--time', String(graceS), this.name], {
      timeoutMs: (graceS + 30) * 1000,
    });
  }

  async restart(): Promise<void> {
    await engineRun(['start', this.name]);
  }

  /** Gone at once, with its anonymous volumes (what a launcher calls to stop it). */
  kill(): Promise<void> {
    return this.remove();
  }

  async remove(): Promise<void> {
    // docker's rm --force kills at once; podman's waits 10 s for a stop unless told not to.
    const now = containerEngine() === 'podman' ? ['--time', '0'] : [];
    await engineRun(['rm', '--force', ...now, '--volumes', this.name]).catch(() => undefined);
  }
}

/** Whether the kernel's log says its OOM killer killed a process in container `id`'s cgroup. */
function killedByKernelAtLimit(id: string): boolean {
  const log = spawnSync('dmesg', [], { encoding: 'utf8', timeout: 10_000 });
  return (
    id.length > 0 &&
    log.status === 0 &&
    log.stdout.split('\n').some((line) => line.includes('oom-kill:') && line.includes(id))
  );
}

/** How a container ended, in the words an operator would use. */
export function describeEnd(state: { exitCode: number; oomKilled: boolean }): string {
  return state.oomKilled
    ? `was killed at its memory limit (OOMKilled, exit ${state.exitCode})`
    : `exited with code ${state.exitCode}`;
}

export async function createVolume(): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `cleave-test-data-${randomBytes(4).toString('hex')}`;
  await engineRun(['volume', 'create', name]);
  return {
    name,
    remove: () => engineRun(['volume', 'rm', '--force', name]).then(() => undefined),
  };
}
