import type { ModuleName } from './shared/config/app-config';

/**
 * What a process needs, in MiB, measured with `npm run bench` (its memory figures) and the image
 * tests (README "Memory"): resident memory when it has become ready, and its peak under the
 * bench's load (sign-ups, logins, orders, lists), each rounded up by about 10 %. The Helm chart's
 * limits are set above the peaks (a test holds them to these figures).
 */
export const MEMORY_NEEDS_MIB = {
  /** Every module in one process on the embedded Postgres. */
  embedded: { start: 360, peak: 410 },
  /** The embedded Postgres without `--liftoff-only` (see NODE_ARGS): V8's optimising compiler. */
  embeddedOptimised: { start: 760, peak: 1050 },
  /** A process whose databases are all servers (one module, or all of them). */
  servers: { start: 160, peak: 280 },
  /** The gateway alone. */
  gateway: { start: 140, peak: 200 },
} as const;

export interface MemoryVerdict {
  /** Why it cannot start: it would be killed before it is ready. */
  refuse?: string;
  /** Why it may be killed under load. */
  warn?: string;
}

/**
 * Whether `availableMiB` (free memory, or what the container's limit leaves) is enough for the
 * shape `config` describes. Only what can be told in advance: the figures are this project's
 * measured needs, not a promise about the machine.
 */
export function judgeMemory(
  config: {
    readonly modules: readonly ModuleName[];
    /** The databases with a server (`url`); the others are embedded. */
    readonly databases: Readonly<Record<'user' | 'order', { readonly url?: string }>>;
  },
  availableMiB: number,
  liftoffOnly: boolean,
): MemoryVerdict {
  const embedded =
    (config.modules.includes('user') && !config.databases.user.url) ||
    (config.modules.includes('order') && !config.databases.order.url);
  const kind = embedded
    ? liftoffOnly
      ? 'embedded'
      : 'embeddedOptimised'
    : config.modules.includes('gateway')
      ? 'gateway'
      : 'servers';
  const need = MEMORY_NEEDS_MIB[kind];
  const shape = {
    embedded: 'a process on the embedded database',
    embeddedOptimised: 'a process on the embedded database without --liftoff-only',
    servers: 'a process whose stores are servers',
    gateway: 'the gateway',
  }[kind];
  const advice = embedded
    ? ' Give it more memory, or point USER_DATABASE_URL and ORDER_DATABASE_URL at servers' +
      ` (a process on servers needs about ${MEMORY_NEEDS_MIB.servers.peak} MiB at its peak).`
    : ' Give it more memory.';
  const have = `${Math.floor(availableMiB)} MiB are available (free memory, or what the container's memory limit leaves)`;
  if (availableMiB < need.start) {
    return {
      refuse:
        `cleave needs about ${need.start} MiB to start as ${shape} (${need.peak} MiB at its peak under load), ` +
        `but only ${have}, so it would be killed while starting.${advice} MEMORY_CHECK=off skips this check.`,
    };
  }
  if (availableMiB < need.peak) {
    return {
      warn: `${shape} needs about ${need.peak} MiB at its peak under load and ${have}: under load it may be killed.${advice}`,
    };
  }
  return {};
}

/** What this process can still use: free memory, bounded by its cgroup's limit. */
export function availableMemoryMiB(): number {
  return process.availableMemory() / 1024 / 1024;
}
