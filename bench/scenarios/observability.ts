import { join } from 'node:path';
import { expectRequest } from '../http';
import type { ScenarioResult } from '../measure';
import { NODE_ARGS } from '../../src/launcher/managed-process';
import { measureMeOnFreshApp, startBenchServer, stopChild } from '../processes';
import { HOST, log } from '../settings';

/**
 * What structured logs and traces cost on GET /api/users/me, one app process at a time:
 *   off   LOG_LEVEL=silent, no tracing (the baseline)
 *   logs  LOG_LEVEL=info, no tracing
 *   on       LOG_LEVEL=info and tracing on with the default sampling (or OTEL_TRACES_SAMPLER and
 *            OTEL_TRACES_SAMPLER_ARG of the bench's environment), the spans sampled dropped by
 *            a no-op exporter (bench/noop-tracing.ts): the measure
 *   sampled  the same with every request sampled (parentbased_always_on)
 *   otlp     LOG_LEVEL=info and tracing on with the default sampling, the spans sampled
 *            exported over OTLP/HTTP to a sink in a process of its own (bench/otlp-sink.ts):
 *            what a deployment with a collector pays
 * in the order on off logs sampled otlp otlp sampled logs off on, so that drift in the
 * machine's load hits all alike. Besides req/s, the app's CPU time per request (from /proc), which other load on
 * the machine disturbs less.
 */

type Mode = 'off' | 'logs' | 'on' | 'sampled' | 'otlp';
const ORDER: Mode[] = [
  'on',
  'off',
  'logs',
  'sampled',
  'otlp',
  'otlp',
  'sampled',
  'logs',
  'off',
  'on',
];

interface ModeSummary {
  requestsPerSec: number;
  cpuMicrosPerRequest: number;
  p99: number;
  runs: { requestsPerSec: number; p99: number; cpuMicrosPerRequest?: number }[];
}

/** What a mode costs against `off`: fewer req/s, and more CPU per request (fractions). */
interface Cost {
  throughput: number;
  cpu: number;
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

/** One run of GET /api/users/me on a fresh app process in `mode`. */
function measureMode(
  mode: Mode,
  setting: { env: Record<string, string>; args: string[] },
  appEnv: Record<string, string>,
  auth: Record<string, string>,
): Promise<ScenarioResult> {
  return measureMeOnFreshApp(
    `GET /api/users/me (observability ${mode})`,
    {
      label: `app-observability-${mode}`,
      nodeArgs: [...NODE_ARGS, ...setting.args],
      env: { ...appEnv, ...setting.env, OTEL_SERVICE_NAME: 'cleave-bench', SHUTDOWN_DRAIN_MS: '0' },
    },
    auth,
  );
}

export async function observabilityOverhead(
  appEnv: Record<string, string>,
  auth: Record<string, string>,
): Promise<Observability> {
  const sink = await startSink();
  const modes = modeSettings(sink.url);
  const runs: Record<Mode, ScenarioResult[]> = { off: [], logs: [], on: [], sampled: [], otlp: [] };
  let exports: number;
  try {
    for (const mode of ORDER) runs[mode].push(await measureMode(mode, modes[mode], appEnv, auth));
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

function summarise(runs: Record<Mode, ScenarioResult[]>, otlpExports: number): Observability {
  const modes = {
    off: summary(runs.off),
    logs: summary(runs.logs),
    on: summary(runs.on),
    sampled: summary(runs.sampled),
    otlp: summary(runs.otlp),
  };
  const cost = (mode: Exclude<Mode, 'off'>): Cost => ({
    throughput: 1 - modes[mode].requestsPerSec / modes.off.requestsPerSec,
    cpu: modes[mode].cpuMicrosPerRequest / modes.off.cpuMicrosPerRequest - 1,
  });
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
        `(+${(costs[mode].cpu * 100).toFixed(1)}%)`,
    );
  }
  return { ...modes, cost: costs, overhead: costs.on.throughput, otlpExports };
}
