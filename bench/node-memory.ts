import { HOST } from './settings';

/**
 * What a cleave process says it holds, from its own /metrics (prom-client's default gauges):
 * the V8 heap, and the memory outside it that V8 accounts for, which on embedded storage is
 * mostly the embedded Postgres' WebAssembly memory. Beside the RSS, they tell where a growth
 * went: a heap that keeps growing is a leak in JavaScript; WebAssembly memory only ever grows
 * (it cannot be given back), in steps, as the database needs it.
 */
export interface NodeMemory {
  /** nodejs_heap_size_total_bytes: the V8 heap's size (MiB). */
  heapTotalMiB: number;
  /** nodejs_heap_size_used_bytes (MiB). */
  heapUsedMiB: number;
  /** nodejs_external_memory_bytes: outside the heap, incl. WebAssembly memory (MiB). */
  externalMiB: number;
}

const GAUGES: Record<keyof NodeMemory, string> = {
  heapTotalMiB: 'nodejs_heap_size_total_bytes',
  heapUsedMiB: 'nodejs_heap_size_used_bytes',
  externalMiB: 'nodejs_external_memory_bytes',
};

/** Reads them from the process on `port`; null when it does not answer in time. */
export async function readNodeMemory(port: number): Promise<NodeMemory | null> {
  const metrics = await readMetrics(port);
  if (!metrics) return null;
  const mib = (name: string) => (metrics.value(name) ?? NaN) / 2 ** 20;
  return {
    heapTotalMiB: mib(GAUGES.heapTotalMiB),
    heapUsedMiB: mib(GAUGES.heapUsedMiB),
    externalMiB: mib(GAUGES.externalMiB),
  };
}

/** A process' /metrics (Prometheus text), read once. */
export interface MetricsText {
  /** The first sample of `name` whose labels include every one of `labels`; null if none. */
  value(name: string, labels?: Record<string, string>): number | null;
}

/** The /metrics of the process on `port`; null when it does not answer in time. */
export async function readMetrics(port: number): Promise<MetricsText | null> {
  try {
    const res = await fetch(`http://${HOST}:${port}/metrics`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return null;
    const lines = (await res.text()).split('\n');
    return {
      value(name, labels = {}) {
        const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
        const line = lines.find(
          (l) =>
            (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) &&
            wanted.every((label) => l.includes(label)),
        );
        return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
      },
    };
  } catch {
    return null;
  }
}
