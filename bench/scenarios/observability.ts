import { join } from 'node:path';
import { expectRequest } from '../http';
import { median, type ScenarioResult } from '../measure';
import { NODE_ARGS } from '../../src/launcher/managed-process';
import { measureMeBeside, startBenchServer, stopChild, type SideBySide } from '../processes';
import { HOST, log, settings } from '../settings';

/**
 * What structured logs and traces cost on GET /api/users/me, one app process per mode:
 *   off   LOG_LEVEL=silent, no tracing (the baseline)
 *   logs  LOG_LEVEL=info, no tracing
 *   on       LOG_LEVEL=info and tracing on with the default sampling (or OTEL_TRACES_SAMPLER and
 *            OTEL_TRACES_SAMPLER_ARG of the bench's environment), the spans sampled dropped by
 *            a no-op exporter (bench/noop-tracing.ts): the measure
 *   sampled  the same with every request sampled (parentbased_always_on)
 *   otlp     LOG_LEVEL=info and tracing on with the default sampling, the spans sampled
 *            exported over OTLP/HTTP to a sink in a process of its own (bench/otlp-sink.ts):
 *            what a deployment with a collector pays
 * The eight processes (each mode's and a baseline beside each) are up at once; in each of
 * BENCH_OVERHEAD_ROUNDS rounds (after one that is not recorded) every mode is
 * measured at the same time as `off`, each with half the connections (measureMeBeside), and
 * its cost against `off` taken from that pair; the median round's is reported. Besides req/s,
 * the app's CPU time per request (from /proc).
 */

type Mode = 'off' | 'logs' | 'on' | 'sampled' | 'otlp';
const MODES: readonly Exclude<Mode, 'off'>[] = ['logs', 'on', 'sampled', 'otlp'];

interface ModeSummary {
  requestsPerSec: number;
  cpuMicrosPerRequest: number;
  p99: number;
  runs: { requestsPerSec: number; p99: number; cpuMicrosPerRequest?: number }[];
}

/**
 * What a mode costs against `off`: fewer req/s, and more CPU per request (fractions), each the
 * median of the rounds'.
 */
interface Cost {
  throughput: number;
  cpu: number;
  /** The throughput cost in each round. */
  rounds: number[];
}

export type Observability = Record<Mode, ModeSummary> & {
  cost: Record<Exclude<Mode, 'off'>, Cost>;
  /** The throughput cost of `on` (logs and traces, default sampling). */
  overhead: number;
  /** Export requests the OTLP sink received. */
  otlpExports: number;
};

/**
 * The OTLP/HTTP endpoint the `otlp` mode exports to: bench/otlp-sink.ts in a process of its own,
 * as a collector is (in the bench's process it would answer only when the load generator let it).
 */
async function startSink() {
  const { child, port } = await startBenchServer('otlp-sink', '/ready');
  return {
    url: `http://${HOST}:${port}`,
    exports: async () =>
      (JSON.parse(await expectRequest(port, 'GET', '/exports', 200)) as { exports: number })
        .exports,
    stop: () => stopChild(child),
  };
}

function modeSettings(
  sinkUrl: string,
): Record<Mode, { env: Record<string, string>; args: string[] }> {
  const sampler = process.env.OTEL_TRACES_SAMPLER;
  return {
    off: { env: { LOG_LEVEL: 'silent' }, args: [] },
    logs: { env: { LOG_LEVEL: 'info' }, args: [] },
    on: {
      env: {
        LOG_LEVEL: 'info',
        BENCH_TRACING_DISABLED: process.env.BENCH_TRACING_DISABLED || '',
        ...(sampler && {
          OTEL_TRACES_SAMPLER: sampler,
          OTEL_TRACES_SAMPLER_ARG: process.env.OTEL_TRACES_SAMPLER_ARG || '',
        }),
      },
      args: ['-r', join(__dirname, '..', 'noop-tracing.js')],
    },
    sampled: {
      env: {
        LOG_LEVEL: 'info',
        BENCH_TRACING_DISABLED: process.env.BENCH_TRACING_DISABLED || '',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      },
      args: ['-r', join(__dirname, '..', 'noop-tracing.js')],
    },
    otlp: { env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl }, args: [] },
  };
}

export async function observabilityOverhead(
  appEnv: Record<string, string>,
  readers: Array<Record<string, string>>,
): Promise<Observability> {
  const sink = await startSink();
  const modes = modeSettings(sink.url);
  let runs: Record<Exclude<Mode, 'off'>, SideBySide[]>;
  let exports: number;
  try {
    runs = await measureMeBeside(
      'off',
      MODES,
      (mode) => ({
        label: `app-observability-${mode}`,
        nodeArgs: [...NODE_ARGS, ...modes[mode].args],
        env: {
          ...appEnv,
          ...modes[mode].env,
          OTEL_SERVICE_NAME: 'cleave-bench',
          SHUTDOWN_DRAIN_MS: '0',
        },
      }),
      readers,
      settings.overheadRounds,
    );
    exports = await sink.exports();
  } finally {
    await sink.stop();
  }
  if (exports === 0) {
    throw new Error('tracing exported over OTLP, but no spans reached the sink');
  }
  return summarise(runs, exports);
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

function summary(runs: ScenarioResult[]): ModeSummary {
  return {
    requestsPerSec: mean(runs.map((r) => r.requestsPerSec)),
    cpuMicrosPerRequest: mean(runs.map((r) => r.cpuMicrosPerRequest ?? NaN)),
    p99: Math.max(...runs.map((r) => r.latencyMs.p99)),
    runs: runs.map((r) => ({
      requestsPerSec: r.requestsPerSec,
      p99: r.latencyMs.p99,
      cpuMicrosPerRequest: r.cpuMicrosPerRequest,
    })),
  };
}

function summarise(
  runs: Record<Exclude<Mode, 'off'>, SideBySide[]>,
  otlpExports: number,
): Observability {
  const modeRuns = (mode: Exclude<Mode, 'off'>) => runs[mode].map((r) => r.mode);
  const modes = {
    off: summary(MODES.flatMap((mode) => runs[mode].map((r) => r.baseline))),
    logs: summary(modeRuns('logs')),
    on: summary(modeRuns('on')),
    sampled: summary(modeRuns('sampled')),
    otlp: summary(modeRuns('otlp')),
  };
  const cost = (mode: Exclude<Mode, 'off'>): Cost => {
    const byRound = runs[mode].map(({ mode: run, baseline: off }) => ({
      throughput: 1 - run.requestsPerSec / off.requestsPerSec,
      cpu: (run.cpuMicrosPerRequest ?? NaN) / (off.cpuMicrosPerRequest ?? NaN) - 1,
    }));
    return {
      throughput: median(byRound.map((r) => r.throughput)),
      cpu: median(byRound.map((r) => r.cpu)),
      rounds: byRound.map((r) => r.throughput),
    };
  };
  const costs = {
    logs: cost('logs'),
    on: cost('on'),
    sampled: cost('sampled'),
    otlp: cost('otlp'),
  };
  for (const mode of ['logs', 'on', 'sampled', 'otlp'] as const) {
    const m = modes[mode];
    log(
      `observability ${mode}: ${m.requestsPerSec.toFixed(0)} req/s vs off ` +
        `${modes.off.requestsPerSec.toFixed(0)} (-${(costs[mode].throughput * 100).toFixed(1)}%), ` +
        `CPU ${m.cpuMicrosPerRequest.toFixed(0)} µs/req vs ${modes.off.cpuMicrosPerRequest.toFixed(0)} ` +
        `(+${(costs[mode].cpu * 100).toFixed(1)}%); the median round's, by round: ` +
        costs[mode].rounds.map((c) => `${(c * 100).toFixed(1)}%`).join(' '),
    );
  }
  return { ...modes, cost: costs, overhead: costs.on.throughput, otlpExports };
}
