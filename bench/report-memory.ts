import type { ScenarioResult } from './measure';
import type { Memory } from './memory';
import type { MixedFigures } from './mixed';
import type { MixedResult, ShapeName } from './scenarios/mixed';
import type { SoakResult } from './scenarios/soak';
import { settings } from './settings';
import { printTable, write } from './table';
import { fmt, peakOf, type MemoryMeasured } from './targets';

/** The memory figures of a run: the mixed load and the soak, and the scenarios of each shape. */
export interface MemoryRun extends MemoryMeasured {
  /** The one-process scenarios on Postgres (and the baseline). */
  results?: ScenarioResult[];
  split?: ScenarioResult[];
}

/** One process of one shape, in MiB. */
export interface ShapeMemory {
  shape: ShapeName;
  process: string;
  /** Once ready and settled, before any request. */
  idleMiB: number;
  /** Under the mixed load: sampled every 100 ms, and the kernel's high-water mark. */
  mixedPeakMiB: number;
  mixedHwmMiB: number | null;
  /** The highest peak (sampled or high-water mark) of any of the shape's scenarios, and which. */
  maxPeakMiB: number;
  maxPeakIn: string;
}

const SHAPE_LABEL: Record<ShapeName, string> = {
  embedded: 'one process, embedded',
  'one process': 'one process, Postgres',
  split: 'split',
};

/** Each shape's scenarios with their memory: the mixed load first. */
function scenariosOf(run: MemoryRun, mixed: MixedResult): { name: string; memory: Memory }[] {
  const measured = (results: ScenarioResult[] = []) =>
    results.flatMap((r) => (r.memory ? [{ name: r.name, memory: r.memory }] : []));
  switch (mixed.shape) {
    case 'embedded': {
      const { soak } = run;
      const soakMemory = soak && {
        name: 'soak',
        memory: { app: { idleMiB: soak.idleMiB, peakMiB: soak.peakMiB, hwmMiB: soak.hwmMiB } },
      };
      return [mixed, ...(soakMemory ? [soakMemory] : [])];
    }
    case 'one process':
      return [mixed, ...measured(run.results?.filter((r) => r.target === 'app'))];
    case 'split':
      return [mixed, ...measured(run.split)];
  }
}

/** Per shape and process: idle, peak under the mixed load, highest peak of any scenario. */
export function shapeMemory(run: MemoryRun): ShapeMemory[] {
  return run.mixed.flatMap((mixed) => {
    const scenarios = scenariosOf(run, mixed);
    return Object.entries(mixed.memory).map(([process, m]) => {
      const max = scenarios
        .filter((s) => s.memory[process])
        .map((s) => ({ name: s.name, peak: peakOf(s.memory[process]) }))
        .reduce((a, b) => (b.peak > a.peak ? b : a));
      return {
        shape: mixed.shape,
        process,
        idleMiB: mixed.readyMiB[process],
        mixedPeakMiB: m.peakMiB,
        mixedHwmMiB: m.hwmMiB,
        maxPeakMiB: max.peak,
        maxPeakIn: max.name,
      };
    });
  });
}

/** The mixed load per shape, memory per shape, the split scenarios' memory, the soak. */
export function printMemory(run: MemoryRun): void {
  printMixed(run.mixed);
  printShapeMemory(shapeMemory(run), run);
  if (run.split?.length) printSplitMemory(run.split);
  if (run.soak) printSoak(run.soak);
}

function printMixed(mixed: MixedResult[]): void {
  printTable(
    [
      'shape',
      'req/s',
      'requests',
      'sign-ups',
      'logins',
      'orders',
      'lists',
      '/me',
      'p50 ms',
      'p99 ms',
      'failures',
    ],
    mixed.map((m) => [
      SHAPE_LABEL[m.shape],
      fmt(m.requestsPerSec, 0),
      String(m.totalRequests),
      String(m.requests['sign-up']),
      String(m.requests.login),
      String(m.requests.order),
      String(m.requests.list),
      String(m.requests.me),
      fmt(m.latencyMs.p50, 1),
      fmt(m.latencyMs.p99, 1),
      String(m.failures),
    ]),
    `Mixed load: ${settings.mixedClients} clients, each signing a user up, logging in, then ` +
      `ordering, listing and reading /me 5 times, then the next user; ${settings.duration} s ` +
      `after ${settings.warmup} s of warm-up`,
  );
}

function printShapeMemory(rows: ShapeMemory[], run: MemoryRun): void {
  const split = rows.filter((r) => r.shape === 'split');
  const sum = (pick: (r: ShapeMemory) => number | null) =>
    split.reduce((total, r) => total + (pick(r) ?? NaN), 0);
  const table = rows.map((r) => [
    SHAPE_LABEL[r.shape],
    r.process,
    fmt(r.idleMiB, 0),
    fmt(r.mixedPeakMiB, 0),
    fmt(r.mixedHwmMiB, 0),
    fmt(r.maxPeakMiB, 0),
    r.maxPeakIn,
  ]);
  if (split.length > 1) {
    table.push([
      SHAPE_LABEL.split,
      'all (sum)',
      fmt(
        sum((r) => r.idleMiB),
        0,
      ),
      fmt(
        sum((r) => r.mixedPeakMiB),
        0,
      ),
      fmt(
        sum((r) => r.mixedHwmMiB),
        0,
      ),
      fmt(
        sum((r) => r.maxPeakMiB),
        0,
      ),
      '',
    ]);
  }
  printTable(
    ['shape', 'process', 'idle', 'mixed peak', 'mixed HWM', 'max peak', 'max peak in'],
    table,
    'Resident memory per shape, MiB: idle once ready and settled; peak under the mixed load ' +
      "(sampled every 100 ms, and the kernel's high-water mark VmHWM); the highest of either " +
      `in any of the shape's scenarios. Chart's default limit: ${run.chartLimit.quantity}; the ` +
      `embedded app runs with the heap the chart gives it there (${run.chartLimit.embeddedHeapMiB} MiB), ` +
      "the others with Node's default heap on this machine (no container limit)",
  );
}

function printSplitMemory(split: ScenarioResult[]): void {
  const processes = Object.keys(split.find((r) => r.memory)?.memory ?? {});
  printTable(
    ['scenario', ...processes],
    split.map((r) => [
      r.name,
      ...processes.map((p) => {
        const m = r.memory?.[p];
        return m ? `${fmt(m.idleMiB, 0)} / ${fmt(peakOf(m), 0)}` : 'n/a';
      }),
    ]),
    'Resident memory per split scenario, MiB: idle before / peak during (sampled or VmHWM)',
  );
}

function printSoak(soak: SoakResult): void {
  const { load } = soak;
  const signed = (v: number, digits = 1) => `${v >= 0 ? '+' : ''}${fmt(v, digits)}`;
  const split = soak.growthSplitMiB;
  write(
    `\nSoak, one process on embedded storage: ${soak.minutes} min of the mixed load paced at ` +
      `${load.rate ?? 'n/a'} req/s (${fmt(load.requestsPerSec, 1)} served, ${load.totalRequests} ` +
      `requests, ${load.requests['sign-up']} users, ${load.failures} failures; ` +
      `p50 ${fmt(load.latencyMs.p50, 1)} ms, p99 ${fmt(load.latencyMs.p99, 1)} ms; ` +
      `the app used ${fmt(soak.cpuPercent, 0)} % of a core)\n` +
      `  RSS idle ${fmt(soak.idleMiB, 1)} MiB; end of minute 1 ${fmt(soak.firstMinuteMiB, 1)} MiB, ` +
      `end of minute ${soak.minutes} ${fmt(soak.lastMinuteMiB, 1)} MiB: ` +
      `${signed(soak.growthMiB)} MiB (${signed(soak.growth * 100)} %); ` +
      `peak ${fmt(soak.peakMiB, 1)} MiB (VmHWM ${fmt(soak.hwmMiB, 1)})\n` +
      `  where it went: V8 heap ${signed(split.heapTotal)} MiB, external memory (mostly the ` +
      `embedded Postgres' WebAssembly memory, which only grows) ${signed(split.external)} MiB, ` +
      `the rest (native) ${signed(split.rest)} MiB\n`,
  );
  printTable(
    ['end of minute', 'RSS', 'heap total', 'heap used', 'external'],
    soak.perMinuteMiB.map((rss, i) => {
      const node = soak.perMinuteNode[i];
      return [
        String(i + 1),
        fmt(rss, 1),
        fmt(node.heapTotalMiB, 1),
        fmt(node.heapUsedMiB, 1),
        fmt(node.externalMiB, 1),
      ];
    }),
    "  the soak's memory at the end of each minute, MiB (RSS from /proc; the rest from the app's /metrics)",
  );
}

/** The mixed loads and the soak that had a failure: the run is invalid. */
export function failedLoads(
  run: Pick<MemoryMeasured, 'mixed' | 'soak'>,
): (MixedFigures & { name: string })[] {
  const loads = [...run.mixed, ...(run.soak ? [{ ...run.soak.load, name: 'soak' }] : [])];
  return loads.filter((load) => load.failures > 0);
}
