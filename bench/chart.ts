import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './built';

/**
 * The Helm chart's default memory limit and the heap it gives a process on embedded storage,
 * read from the chart rather than typed again here, so that the bench follows the chart: the
 * embedded one process runs with that heap and must peak below that limit.
 */

const CHART = join(ROOT, 'deploy', 'helm', 'cleave');
export const CHART_VALUES = join(CHART, 'values.yaml');
const DEPLOYMENT = join(CHART, 'templates', 'deployment.yaml');

interface Values {
  defaults?: { resources?: { limits?: { memory?: string | number } } };
}

export interface ChartLimit {
  /** As the chart writes it (`512Mi`). */
  quantity: string;
  mib: number;
  /** Where it was read. */
  source: string;
  /** The heap Node gets under it on embedded storage (MiB; see `embeddedHeapMiB`). */
  embeddedHeapMiB: number;
}

/** What the image sets in its environment for the allocator (the Dockerfile's `MALLOC_ARENA_MAX`). */
export function imageMallocArenaMax(): string {
  const match = /MALLOC_ARENA_MAX=(\d+)/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!match) throw new Error('the Dockerfile sets no MALLOC_ARENA_MAX');
  return match[1];
}

/** `defaults.resources.limits.memory` of the chart's values.yaml. */
export function chartMemoryLimit(): ChartLimit {
  const values = parse(readFileSync(CHART_VALUES, 'utf8')) as Values | null;
  const quantity = values?.defaults?.resources?.limits?.memory;
  const source = `${relative(ROOT, CHART_VALUES)} defaults.resources.limits.memory`;
  if (quantity === undefined) throw new Error(`${source} is not set`);
  const mib = quantityBytes(quantity) / 2 ** 20;
  return { quantity: String(quantity), mib, source, embeddedHeapMiB: embeddedHeapMiB(mib) };
}

/**
 * The old-space limit (MiB) Node gets in the chart's container on embedded storage: the chart
 * sets NODE_OPTIONS=--max-old-space-size-percentage=N there, which Node applies to the
 * container's memory limit. The bench's processes run under no such limit (N % of the whole
 * machine would be gigabytes, and V8 lets its heap grow lazily up to far more than the chart's
 * container allows), so the bench applies N % to the chart's limit itself.
 */
function embeddedHeapMiB(limitMiB: number): number {
  const match = /--max-old-space-size-percentage=(\d+)/.exec(readFileSync(DEPLOYMENT, 'utf8'));
  if (!match) {
    throw new Error(`${relative(ROOT, DEPLOYMENT)} sets no --max-old-space-size-percentage`);
  }
  return Math.floor((limitMiB * Number(match[1])) / 100);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity (`512Mi`, `1G`, `1048576`) in bytes. */
function quantityBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]i|[kMGT])?$/.exec(String(quantity));
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = match[2] ?? '';
  return Math.round(Number(match[1]) * (BINARY[unit] ?? DECIMAL[unit] ?? 1));
}
