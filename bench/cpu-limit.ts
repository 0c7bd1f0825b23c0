import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './settings';

/** The scheduler's period for a CPU quota: 100 ms, as Kubernetes sets it. */
const PERIOD_US = 100_000;

/** Where this machine lets the bench make a CPU-limited control group, and how to write one. */
interface Hierarchy {
  root: string;
  /** Writes the quota of `cores` CPUs into a new group's directory. */
  limit(dir: string, cores: number): void;
}

/** cgroup v2 with the cpu controller on for the root's children: `cpu.max`. */
const V2: Hierarchy = {
  root: '/sys/fs/cgroup',
  limit: (dir, cores) =>
    writeFileSync(join(dir, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`),
};

/** cgroup v1's cpu controller: the CFS period and quota. */
const V1: Hierarchy = {
  root: '/sys/fs/cgroup/cpu',
  limit: (dir, cores) => {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
  },
};

function hierarchy(): Hierarchy | string {
  try {
    const controllers = readFileSync(join(V2.root, 'cgroup.subtree_control'), 'utf8');
    if (controllers.split(/\s+/).includes('cpu')) return V2;
  } catch {
    // not a cgroup v2 machine: try v1
  }
  if (existsSync(join(V1.root, 'cpu.cfs_quota_us'))) return V1;
  return 'neither cgroup v2 with the cpu controller nor cgroup v1 cpu is mounted';
}

/** A limit that could not be made or applied here: the measurement that needs it is skipped. */
export class CpuLimitError extends Error {}

/** Every limit made and not yet removed: removed at the end of the run, however it ends. */
const made = new Set<CpuLimit>();

/** Removes every limit still there (their processes must have exited). */
export function removeCpuLimits(): void {
  for (const limit of [...made]) limit.remove();
}

/**
 * A CPU limit for processes, as a container's `resources.limits.cpu` sets it: a control group
 * of its own with a CFS quota of `cores` CPUs, which the processes added to it (every thread)
 * share. Made only where the machine lets this user write its control groups (Linux, as
 * root); `create` otherwise says why not. `remove` once its processes have exited.
 */
export class CpuLimit {
  private constructor(
    private readonly dir: string,
    readonly cores: number,
  ) {}

  /** A new limit of `cores` CPUs named `name`, or why none can be made here. */
  static create(name: string, cores: number): CpuLimit | string {
    const found = hierarchy();
    if (typeof found === 'string') return found;
    const limit = new CpuLimit(join(found.root, `cleave-bench-${process.pid}-${name}`), cores);
    try {
      mkdirSync(limit.dir);
      made.add(limit);
      found.limit(limit.dir, cores);
      return limit;
    } catch (error) {
      limit.remove();
      return `cannot make a control group in ${found.root}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /**
   * Puts the process (every thread of it, and what it starts later) under the limit; a
   * `CpuLimitError` where the machine does not let it.
   */
  add(pid: number): void {
    try {
      writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
    } catch (error) {
      throw new CpuLimitError(
        `cannot put pid ${pid} under ${this.dir}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Removes the group once its processes have exited; kept for the end of the run if not. */
  remove(): void {
    try {
      if (existsSync(this.dir)) rmdirSync(this.dir);
      made.delete(this);
    } catch (error) {
      log(
        `could not remove the control group ${this.dir} (${error instanceof Error ? error.message : String(error)}); remove it with rmdir`,
      );
    }
  }
}
