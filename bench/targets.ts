import type { ChartLimit } from './chart';
import type { ScenarioResult } from './measure';
import type { ProcessMemory } from './memory';
import type { BusLatency } from './scenarios/bus-latency';
import type { MixedResult } from './scenarios/mixed';
import type { OutboxFigures } from './scenarios/outbox';
import type { ReadPair } from './scenarios/pg-fastify';
import type { PgbenchResult } from './scenarios/pgbench';
import {
  busyPercent,
  judgedTwoToOne,
  limitedDrains,
  type RelayRounds,
  type RelayScaling,
} from './scenarios/relay-scaling';
import type { Observability } from './scenarios/observability';
import type { RateLimitCost } from './scenarios/rate-limits';
import type { SoakResult } from './scenarios/soak';
import type { WritesInTurns } from './scenarios/writes-in-turns';

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
  /** The app's reads against Fastify+pg running the same SQL and answering the same JSON. */
  readsToPgFastify: 0.8,
  /** POST /api/orders against pgbench running its statement at the same connections. */
  writesToPgbench: 0.4,
  /**
   * Events relayed over events committed in a saturated run's window: the relay keeps up. 1 %
   * is left for the window's edges (an event committed just before it and relayed in it, or
   * committed at its end and relayed just after).
   */
  relayedToCommitted: 0.99,
  commitToDeliveredP99Ms: 250,
  /** The relay's rate with two processes over one: replicas share the work. */
  relayTwoToOne: 1.8,
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
  baselines?: Baselines;
  /** The order outbox under POST /api/orders load, at full load and paced. */
  outbox: Partial<Record<'saturated' | 'paced', OutboxFigures>>;
  relay: RelayScaling;
  /** POST /api/orders on both shapes in turns: what the split shape's writes are judged by. */
  writes: WritesInTurns;
}

/**
 * The database baselines: Fastify+pg for the reads (bench/pg-fastify.ts), pgbench for the
 * writes (scenarios/pgbench.ts), each one-process scenario's req/s over its own.
 */
export interface Baselines {
  pgFastify: ScenarioResult[];
  /** Null when pgbench is missing. */
  pgbench: PgbenchResult | null;
  ratios: BaselineRatio[];
}

export interface BaselineRatio {
  /** The app's scenario. */
  name: string;
  requestsPerSec: number;
  p99Ms: number;
  /** CPU time of the serving process per request (µs): the app's, the baseline server's. */
  cpuMicrosPerRequest: number | null;
  baseline: string;
  baselinePerSec: number | null;
  /** The baseline's p99 (Fastify+pg), or its mean latency (pgbench reports no percentile). */
  baselineLatencyMs: number | null;
  baselineCpuMicrosPerRequest: number | null;
  ratio: number | null;
  /** For a read: app req/s over its baseline's, round by round (the ratio is the median's). */
  roundRatios?: number[];
  target: number;
}

/**
 * Each read against its Fastify+pg twin (measured in rounds beside each other: the median
 * round), POST /api/orders against pgbench.
 */
export function relateBaselines(
  results: ScenarioResult[],
  reads: ReadPair[],
  pgbench: PgbenchResult | null,
): Baselines {
  const ratio = (
    app: ScenarioResult,
    baseline: string,
    perSec: number | null,
    target: number,
    baselineLatencyMs: number | null,
    baselineCpu?: number,
  ) => ({
    name: app.name,
    requestsPerSec: app.requestsPerSec,
    p99Ms: app.latencyMs.p99,
    cpuMicrosPerRequest: app.cpuMicrosPerRequest ?? null,
    baseline,
    baselinePerSec: perSec,
    baselineLatencyMs,
    baselineCpuMicrosPerRequest: baselineCpu ?? null,
    ratio: perSec ? app.requestsPerSec / perSec : null,
    target,
  });
  const ratios: BaselineRatio[] = reads.map(({ app, baseline, roundRatios }) => ({
    ...ratio(
      app,
      baseline.name,
      baseline.requestsPerSec,
      TARGET.readsToPgFastify,
      baseline.latencyMs.p99,
      baseline.cpuMicrosPerRequest,
    ),
    roundRatios,
  }));
  const orders = results.find((r) => r.name === 'POST /api/orders');
  if (orders) {
    ratios.push(
      ratio(
        orders,
        pgbench ? `${pgbench.name} (tps)` : 'pgbench (missing)',
        pgbench?.tps ?? null,
        TARGET.writesToPgbench,
        pgbench?.latencyAverageMs ?? null,
      ),
    );
  }
  return { pgFastify: reads.map((r) => r.baseline), pgbench, ratios };
}

/** Every baseline ratio at or above its target; POST /api/orders' p99 under the bound. */
export function baselineTargets(baselines: Baselines | undefined): Check[] {
  if (!baselines) return [];
  return baselines.ratios.map((r) => ({
    name: `${r.name} req/s >= ${r.target} x ${r.baseline}`,
    actual: r.ratio,
    threshold: r.target,
    pass: r.ratio !== null && r.ratio >= r.target,
    detail:
      r.ratio === null
        ? 'no baseline measured'
        : `${fmt(r.requestsPerSec, 0)} vs ${fmt(r.baselinePerSec, 0)}: ratio ${fmt(r.ratio, 3)}`,
  }));
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

/** Round by round, each drain's rate, the ratio and how busy the cores were; then the median. */
export function describeRounds({ drains, rounds, twoToOne }: RelayRounds): string {
  const each = rounds.map((ratio, i) => {
    const inRound = drains
      .filter((d) => d.round === i + 1)
      .sort((a, b) => a.processes - b.processes);
    const rates = inRound.map((d) => `${d.processes}: ${fmt(d.eventsPerSec, 0)}/s`).join(', ');
    const busy = inRound.map(busyPercent).join(' / ');
    return `${rates} (${fmt(ratio, 2)}x, cores ${busy} busy)`;
  });
  return `${fmt(twoToOne, 2)}x, the median of ${each.join('; ')}`;
}

export function checkTargets(measured: Measured): Check[] {
  return [
    meRatio(measured.results[0]),
    ...measured.results.filter((r) => !/login|@/.test(r.name)).map(p99Under),
    ...observabilityCosts(measured.observability),
    splitToOne(measured.shapes, 'GET /api/users/me'),
    splitWritesInTurns(measured.writes),
    ...baselineTargets(measured.baselines),
    ...busTargets(measured.bus),
    ...outboxTargets(measured.outbox.saturated, measured.relay),
    ...memoryTargets(measured),
  ];
}

/** The relay keeps up at saturation, soon, scales out, and hands no event over twice. */
export function outboxTargets(saturated: OutboxFigures | undefined, relay: RelayScaling): Check[] {
  const checks: Check[] = [];
  if (saturated) {
    const ratio =
      saturated.eventsCommittedPerSec > 0
        ? saturated.eventsRelayedPerSec / saturated.eventsCommittedPerSec
        : null;
    const p99 = saturated.commitToDeliveredMs.p99;
    checks.push(
      {
        name: `outbox at saturation: events relayed / committed >= ${TARGET.relayedToCommitted}`,
        actual: ratio,
        threshold: TARGET.relayedToCommitted,
        pass: ratio !== null && ratio >= TARGET.relayedToCommitted,
        detail: `${fmt(saturated.eventsRelayedPerSec, 0)} / ${fmt(saturated.eventsCommittedPerSec, 0)} per s (${fmt(ratio, 3)})`,
      },
      {
        name: `outbox at saturation: commit -> delivered p99 < ${TARGET.commitToDeliveredP99Ms} ms`,
        actual: p99,
        threshold: TARGET.commitToDeliveredP99Ms,
        pass: p99 !== null && p99 < TARGET.commitToDeliveredP99Ms,
        detail: `p50 ${fmt(saturated.commitToDeliveredMs.p50, 1)} ms, p99 ${fmt(p99, 1)} ms`,
      },
    );
  }
  const every = [...relay.drains, ...(limitedDrains(relay)?.drains ?? [])];
  const twice = every.reduce((sum, d) => sum + Math.max(0, d.handledTwice), 0);
  const judged = judgedTwoToOne(relay);
  checks.push(
    {
      name:
        judged.millicores === null
          ? `outbox relay: two processes relay >= ${TARGET.relayTwoToOne} x one`
          : `outbox relay: two processes, each under ${judged.millicores}m CPU, relay >= ${TARGET.relayTwoToOne} x one`,
      actual: judged.twoToOne,
      threshold: TARGET.relayTwoToOne,
      pass: judged.twoToOne !== null && judged.twoToOne >= TARGET.relayTwoToOne,
      detail:
        `${relay.events} events queued at once: ${describeRounds(judged)}` +
        (judged.millicores === null ? '' : `; free to use every core ${describeRounds(relay)}`),
    },
    {
      name: 'outbox relay: no event handled twice',
      actual: twice,
      threshold: 0,
      pass: twice === 0,
      detail:
        `${every.length} drains of ${relay.events} events, handler runs in each: ` +
        [...new Set(every.map((d) => d.handled))].join(', '),
    },
  );
  return checks;
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

export function p99Under(r: ScenarioResult): Check {
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
        `-${percent(cost.throughput)}% req/s, +${percent(cost.cpu)}% CPU/req ` +
        `(the median round's; by round ${cost.rounds.map((c) => percent(c)).join(' ')}%)`,
    };
  });
}

/** The split shape's writes: the median of the rounds in turns with one process. */
export function splitWritesInTurns({ rounds, splitToOne: ratio }: WritesInTurns): Check {
  const each = rounds.map(
    (r) =>
      `${fmt(r.one.requestsPerSec, 0)} vs ${fmt(r.split.requestsPerSec, 0)} (${fmt(r.splitToOne, 3)})`,
  );
  return {
    name: `split shape POST /api/orders req/s >= ${TARGET.splitToOne} x one process (in turns)`,
    actual: ratio,
    threshold: TARGET.splitToOne,
    pass: (ratio ?? 0) >= TARGET.splitToOne,
    detail: `ratio ${fmt(ratio, 3)}, the median of one process vs split: ${each.join('; ')}`,
  };
}

function splitToOne(shapes: Shape[], name: string): Check {
  const shape = shapes.find((x) => x.name === name);
  return {
    name: `split shape ${name} req/s >= ${TARGET.splitToOne} x one process`,
    actual: shape?.splitToOne ?? null,
    threshold: TARGET.splitToOne,
    pass: (shape?.splitToOne ?? 0) >= TARGET.splitToOne,
    detail: `ratio ${fmt(shape?.splitToOne, 3)}`,
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
