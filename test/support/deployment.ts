import type { SplitProcess } from '../../src/launcher/split';
import type { ReadinessBalancer } from './balancer';
import { type Release, servedVersion } from './previous-release';
import { AppProcess } from './process';

/** One replica of a Deployment: a real process of one release. */
export interface Replica {
  release: Release;
  process: AppProcess;
}

/** One step of a rollout and how long it took. */
export interface Step {
  deployment: SplitProcess;
  action: 'start' | 'stop';
  version: string;
  ms: number;
}

/**
 * A Kubernetes Deployment of one process of the split shape (a module, or the gateway), on
 * loopback: its replicas are real processes, `service` (a ReadinessBalancer) is its Service,
 * and `rollTo` does what the Deployment controller does for a new pod template with
 * `strategy: RollingUpdate, maxSurge: 1, maxUnavailable: 0`.
 */
export class Deployment {
  readonly replicas: Replica[] = [];
  /** Every process it started, by PID, killed by `killAll` whatever happened. */
  private readonly started: AppProcess[] = [];

  constructor(
    readonly name: SplitProcess,
    /** What each replica starts with; its PORT is its own. */
    private readonly env: Record<string, string>,
    readonly service: ReadinessBalancer,
    private readonly options: {
      /** The bound on a stop: the process's drain and shutdown bound, and some slack. */
      stopWithinMs: number;
      /** Called with a replica about to be stopped, while it still serves. */
      beforeStop?: (replica: Replica) => Promise<void>;
    },
  ) {}

  /** A replica started by someone else (the launcher). */
  adopt(process: AppProcess, release: Release): void {
    this.replicas.push({ release, process });
    this.service.add(process.url);
  }

  /** Starts one more replica of `release`; resolves once its /ready answered 200. */
  async scaleUp(release: Release): Promise<Replica> {
    // On a port of its own, chosen by AppProcess (again if another process takes it first).
    const { PORT: _port, ...env } = this.env;
    const process = await AppProcess.start(env, { entry: release.main });
    this.started.push(process);
    const version = await servedVersion(process.url);
    if (version !== release.version) {
      throw new Error(`${this.name} started from ${release.main} says ${version}`);
    }
    const replica = { release, process };
    this.replicas.push(replica);
    this.service.add(process.url);
    return replica;
  }

  /**
   * SIGTERM, as the kubelet stops a pod: the process turns unready, drains, and exits by itself.
   * Resolves with its exit code once it exited; SIGKILL and an error past `stopWithinMs`.
   */
  async stop(replica: Replica): Promise<number | null> {
    await this.options.beforeStop?.(replica);
    replica.process.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      replica.process.waitExit().then(() => true),
      new Promise<false>(
        (resolve) => (timer = setTimeout(() => resolve(false), this.options.stopWithinMs)),
      ),
    ]);
    clearTimeout(timer);
    this.service.remove(replica.process.url);
    this.replicas.splice(this.replicas.indexOf(replica), 1);
    if (!exited) {
      await replica.process.kill();
      throw new Error(
        `${this.name} did not exit within ${this.options.stopWithinMs} ms of SIGTERM`,
      );
    }
    return replica.process.exitCode;
  }

  /**
   * maxSurge 1, maxUnavailable 0: start a replica of `release`, once it is ready stop one of
   * another release, and again until every replica runs `release`. Reports each step.
   */
  async rollTo(release: Release, report: (step: Step) => void): Promise<void> {
    const timed = async <T>(action: Step['action'], version: string, work: () => Promise<T>) => {
      const started = Date.now();
      const result = await work();
      report({ deployment: this.name, action, version, ms: Date.now() - started });
      return result;
    };
    for (;;) {
      const old = this.replicas.find((r) => r.release.version !== release.version);
      if (!old) return;
      await timed('start', release.version, () => this.scaleUp(release));
      const code = await timed('stop', old.release.version, () => this.stop(old));
      if (code !== 0) throw new Error(`${this.name} ${old.release.version} exited ${code}`);
    }
  }

  async killAll(): Promise<void> {
    for (const process of [...this.started, ...this.replicas.map((r) => r.process)]) {
      await process.kill();
    }
  }
}
