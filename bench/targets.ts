import type { ChartLimit } from './chart';
import type { ScenarioResult } from './measure';
import type { ProcessMemory } from './memory';
import type { BusLatency } from './scenarios/bus-latency';
import type { MixedResult } from './scenarios/mixed';
import type { Observability } from './scenarios/observability';
import type { RateLimitCost } from './scenarios/rate-limits';
import type { SoakResult } from './scenarios/soak';

/**
 * The targets a run is held to. The throughput ones are ratios to a baseline measured in the
 * same run (bare Fastify, one process, logs and traces off), so that they hold on any machine.
 */
const TARGET = {
  meRatio: 0.25,
  p99Ms: 50,
  /** What observability costs GET /api/users/me req/s (fractions; see scenarios/observability). */
  observability: {
    logs: 0.05,
    on: 0.15,
    sampled: 0.3,
    otlp: 0.25,
  },
  splitToOne: 0.5,
  natsP99Ms: 2,
  localAddsUs: 50,
  /** A soak's RSS from the end of its first minute to the end of its last: no leak. */
  soakGrowth: 0.1,
};

export interface Check {
  name: string;
  actual: number | null;
  threshold: number;
  pass: boolean;
  detail: string;
}

/** One scenario in both shapes. */
export interface Shape {
  name: string;
  one: ScenarioResult | undefined;
  split: ScenarioResult;
  splitToOne: number | null;
}

/** What the memory targets read: the mixed load per shape, the soak, the chart's limit. */
export interface MemoryMeasured {
  mixed: MixedResult[];
  soak: SoakResult | null;
  chartLimit: ChartLimit;
}

/** What the targets read. `results`: the one-process scenarios (GET /me first), then the baseline. */
export interface Measured extends MemoryMeasured {
  results: ScenarioResult[];
  shapes: Shape[];
  observability: Observability;
  rateLimits: RateLimitCost;
  bus: BusLatency;
}

/**
 * Sets every result's ratio to the baseline's req/s, and pairs each split scenario with its
 * one-process run.
 */
export function relate(
  results: ScenarioResult[],
  split: ScenarioResult[],
  baseline: ScenarioResult,
): Shape[] {
  for (const r of [...results, ...split]) {
    r.ratioToBaseline =
      baseline.requestsPerSec > 0 ? r.requestsPerSec / baseline.requestsPerSec : null;
  }
  return split.map((r) => {
    const one = results.find((o) => o.name === r.name);
    return {
      name: r.name,
      one,
      split: r,
      splitToOne: one && one.requestsPerSec > 0 ? r.requestsPerSec / one.requestsPerSec : null,
    };
  });
}

export function fmt(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? 'n/a'
    : value.toFixed(digits);
}

const percent = (fraction: number) => fmt(fraction * 100, 1);

export function checkTargets(measured: Measured): Check[] {
  return [
    meRatio(measured.results[0]),
    ...measured.results.filter((r) => !/login|@/.test(r.name)).map(p99Under),
    ...observabilityCosts(measured.observability),
    splitToOne(measured.shapes.find((x) => x.name === 'GET /api/users/me')),
    ...busTargets(measured.bus),
    ...memoryTargets(measured),
  ];
}

/** The embedded one process's peak under the chart's default limit; the soak's growth. */
export function memoryTargets({ mixed, soak, chartLimit }: MemoryMeasured): Check[] {
  const embedded = mixed.find((m) => m.shape === 'embedded');
  return [
    ...(embedded ? [embeddedPeak(embedded, soak, chartLimit)] : []),
    ...(soak ? [soakGrowth(soak)] : []),
  ];
}

/** The higher of the sampled peak and the kernel's high-water mark. */
export function peakOf(m: Pick<ProcessMemory, 'peakMiB' | 'hwmMiB'>): number {
  return Math.max(m.peakMiB, m.hwmMiB ?? 0);
}

function embeddedPeak(embedded: MixedResult, soak: SoakResult | null, limit: ChartLimit): Check {
  const underMixed = peakOf(embedded.memory.app);
  const inSoak = soak ? peakOf(soak) : 0;
  const peak = Math.max(underMixed, inSoak);
  return {
    name: `embedded one process peak RSS < the chart's default limit (${limit.quantity}, ${limit.source})`,
    actual: peak,
    threshold: limit.mib,
    pass: peak < limit.mib,
    detail:
      `peak ${fmt(underMixed, 0)} MiB under the mixed load` +
      `${soak ? `, ${fmt(inSoak, 0)} MiB in the soak` : ''}; ` +
      `${fmt(limit.mib - peak, 0)} MiB (${percent(1 - peak / limit.mib)}%) left`,
  };
}

function soakGrowth(soak: SoakResult): Check {
  return {
    name: `soak: RSS growth < ${TARGET.soakGrowth * 100}% from the end of its first minute to the end of its last`,
    actual: soak.growth,
    threshold: TARGET.soakGrowth,
    pass: soak.growth < TARGET.soakGrowth,
    detail:
      `${soak.minutes} min: ${fmt(soak.firstMinuteMiB, 1)} -> ${fmt(soak.lastMinuteMiB, 1)} MiB, ` +
      `${soak.growthMiB >= 0 ? '+' : ''}${fmt(soak.growthMiB, 1)} MiB (${percent(soak.growth)}%)` +
      (soak.minutes === 1 ? '; one minute is both the first and the last' : ''),
  };
}

function meRatio(me: ScenarioResult): Check {
  const ratio = me.ratioToBaseline ?? null;
  return {
    name: `GET /api/users/me req/s >= ${TARGET.meRatio} x bare Fastify`,
    actual: ratio,
    threshold: TARGET.meRatio,
    pass: ratio !== null && ratio >= TARGET.meRatio,
    detail: `ratio ${fmt(ratio, 3)}`,
  };
}

function p99Under(r: ScenarioResult): Check {
  return {
    name: `p99 < ${TARGET.p99Ms} ms: ${r.name}`,
    actual: r.latencyMs.p99,
    threshold: TARGET.p99Ms,
    pass: r.latencyMs.p99 < TARGET.p99Ms,
    detail: `p99 ${fmt(r.latencyMs.p99, 1)} ms`,
  };
}

const OBSERVABILITY_NAMES = {
  logs: 'logging (info)',
  on: 'logging (info) + tracing (default sampling)',
  sampled: 'logging (info) + tracing (every request sampled)',
  otlp: 'logging (info) + tracing (default sampling) exported over OTLP',
} as const;

function observabilityCosts(o: Observability): Check[] {
  return (['logs', 'on', 'sampled', 'otlp'] as const).map((mode) => {
    const cost = o.cost[mode];
    const threshold = TARGET.observability[mode];
    return {
      name: `${OBSERVABILITY_NAMES[mode]} cost < ${threshold * 100}% of GET /api/users/me req/s`,
      actual: cost.throughput,
      threshold,
      pass: cost.throughput < threshold,
      detail:
        `${mode} ${fmt(o[mode].requestsPerSec, 0)} req/s, off ${fmt(o.off.requestsPerSec, 0)}: ` +
        `-${percent(cost.throughput)}% req/s, +${percent(cost.cpu)}% CPU/req`,
    };
  });
}

function splitToOne(me: Shape | undefined): Check {
  return {
    name: `split shape GET /api/users/me req/s >= ${TARGET.splitToOne} x one process`,
    actual: me?.splitToOne ?? null,
    threshold: TARGET.splitToOne,
    pass: (me?.splitToOne ?? 0) >= TARGET.splitToOne,
    detail: `ratio ${fmt(me?.splitToOne, 3)}`,
  };
}

function busTargets(bus: BusLatency): Check[] {
  const localAdds = bus.local.p50Us - bus.direct.p50Us;
  return [
    {
      name: `NATS request/reply p99 < ${TARGET.natsP99Ms} ms`,
      actual: bus.nats.p99Us / 1000,
      threshold: TARGET.natsP99Ms,
      pass: bus.nats.p99Us < TARGET.natsP99Ms * 1000,
      detail: `p99 ${fmt(bus.nats.p99Us / 1000, 2)} ms`,
    },
    {
      name: `local transport adds < ${TARGET.localAddsUs} us p50 over a direct call`,
      actual: localAdds,
      threshold: TARGET.localAddsUs,
      pass: localAdds < TARGET.localAddsUs,
      detail: `${fmt(localAdds, 1)} us`,
    },
  ];
}
