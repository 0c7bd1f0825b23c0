import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
    const dir = join(found.root, `cleave-bench-${process.pid}-${name}`);
    try {
      mkdirSync(dir);
      found.limit(dir, cores);
      return new CpuLimit(dir, cores);
    } catch (error) {
      try {
        rmdirSync(dir);
      } catch {
        // never made
      }
      return `cannot make a control group in ${found.root}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Puts the process (every thread of it, and what it starts later) under the limit. */
  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** Removes the group; its processes must have exited. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // still in use or already gone: left for the machine to clean up
    }
  }
}
