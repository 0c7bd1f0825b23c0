import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import request from 'supertest';
import { Metrics } from '../../../src/shared/observability/metrics';
import { useTestApp } from '../../support/app';
import { eventually, sendKnownTraffic } from '../../support/api';
import { call, signUp } from '../../support/http-client';
import { handled, sample } from '../../support/metrics';
import { shapeTargets } from '../../support/services';
import { startSplitApp, type SplitApp } from '../../support/split';
import { ROOT } from '../../support/paths';
import { parser } from '@prometheus-io/lezer-promql';

const DASHBOARD_PATH = join(ROOT, 'deploy', 'helm', 'cleave', 'dashboards', 'cleave.json');

/**
 * Labels Prometheus adds when it scrapes (the ServiceMonitor's target labels), never the app:
 * a query may filter and group by them although no exposition carries them.
 */
const SCRAPE_LABELS = new Set([
  'namespace',
  'job',
  'pod',
  'instance',
  'service',
  'container',
  'endpoint',
]);

/**
 * Metrics the dashboard queries that only a process with TRANSPORT=nats exposes: the split
 * suite below proves them. Every other queried metric must be in the one-process exposition.
 */
const NATS_ONLY = new Set([
  'jetstream_consumer_pending_messages',
  'jetstream_consumer_ack_pending_messages',
]);

/** What one PromQL expression reads: its selectors (series and matcher labels) and grouping. */
interface ParsedQuery {
  selectors: Array<{ series: string; labels: string[] }>;
  /** Labels of `by (...)` and `on (...)`-like clauses. */
  grouping: string[];
  aggregates: boolean;
}

/**
 * Grafana's variables (`$__rate_interval`, `${job}`) outside string literals become a duration,
 * so that Prometheus' own grammar reads the rest; inside a matcher's string they stay as they are.
 */
function withoutVariables(expr: string): string {
  return expr.replace(
    /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|\$\{[^}]*\}|\$\w+/g,
    (_match, literal: string | undefined) => literal ?? '5m',
  );
}

/**
 * Reads a query with the Prometheus project's PromQL grammar (`@prometheus-io/lezer-promql`, the
 * parser of Prometheus' own query editor): anything it cannot parse, an unknown function
 * included, fails; so does a selector without a metric name, which this dashboard never needs.
 */
function parsePromQL(expr: string): ParsedQuery {
  const text = withoutVariables(expr);
  const parsed: ParsedQuery = { selectors: [], grouping: [], aggregates: false };
  const textOf = (node: { from: number; to: number }) => text.slice(node.from, node.to);
  parser.parse(text).iterate({
    enter(ref) {
      if (ref.type.isError) {
        const around = text.slice(Math.max(0, ref.from - 10), ref.from + 10);
        throw new Error(`not valid PromQL at ${ref.from} (near "${around}") of ${expr}`);
      }
      const node = ref.node;
      if (ref.name === 'AggregateExpr') parsed.aggregates = true;
      else if (ref.name === 'GroupingLabels') {
        parsed.grouping.push(...node.getChildren('LabelName').map(textOf));
      } else if (ref.name === 'VectorSelector') {
        const name = node.getChild('Identifier');
        if (!name) throw new Error(`a selector without a metric name in ${expr}`);
        const matchers = node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [];
        parsed.selectors.push({
          series: textOf(name),
          labels: matchers.map((matcher) => textOf(matcher.getChild('LabelName')!)),
        });
      }
    },
  });
  return parsed;
}

/** One place the dashboard asks Prometheus something. */
interface DashboardQuery {
  where: string;
  parsed: ParsedQuery;
  /** Labels the query's result must carry: `{{label}}` in a legend, the label of label_values. */
  resultLabels: string[];
}

/** One label a query needs on one series. */
interface LabelNeed {
  series: string;
  label: string;
  where: string;
}

interface Dashboard {
  uid?: unknown;
  title?: unknown;
  schemaVersion?: unknown;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}
interface Panel {
  id?: unknown;
  type?: string;
  title?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  panels?: Panel[];
  targets?: Array<{ expr?: string; legendFormat?: string; refId?: string }>;
}
interface Variable {
  type?: string;
  name?: string;
  query?: unknown;
}

const rawDashboard = readFileSync(DASHBOARD_PATH, 'utf8');

function loadDashboard(): Dashboard {
  return JSON.parse(rawDashboard) as Dashboard;
}

function allPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

function legendLabels(legend: string | undefined): string[] {
  return [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
}

/** Every query of the dashboard: panel targets and query variables. */
function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (!target.expr) throw new Error(`panel "${panel.title}" has a target without expr`);
      queries.push({
        where: `panel "${panel.title}" target ${target.refId}`,
        parsed: parsePromQL(target.expr),
        resultLabels: legendLabels(target.legendFormat),
      });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const text =
      typeof variable.query === 'string'
        ? variable.query
        : (variable.query as { query?: string } | undefined)?.query;
    const m = /^\s*label_values\((.+),\s*(\w+)\s*\)\s*$/.exec(text ?? '');
    if (!m) throw new Error(`variable ${variable.name}: unsupported query ${JSON.stringify(text)}`);
    queries.push({
      where: `variable ${variable.name}`,
      parsed: parsePromQL(m[1]),
      resultLabels: [m[2]],
    });
  }
  return queries;
}

/**
 * The labels each query needs on each series it reads: matcher labels on their selector;
 * grouping labels on every series of the query; labels the result must carry (legend,
 * label_values) on every series when the query does not aggregate (when it does, they must be
 * among its grouping labels, checked statically). Scrape-time labels are left out.
 */
function labelNeeds(queries: DashboardQuery[]): LabelNeed[] {
  const needs: LabelNeed[] = [];
  for (const { where, parsed, resultLabels } of queries) {
    const everywhere = [...parsed.grouping, ...(parsed.aggregates ? [] : resultLabels)];
    for (const selector of parsed.selectors) {
      for (const label of new Set([...selector.labels, ...everywhere])) {
        if (!SCRAPE_LABELS.has(label)) needs.push({ series: selector.series, label, where });
      }
    }
  }
  return needs;
}

/** A Prometheus text exposition: `# TYPE` lines, and the label names seen per series. */
interface Exposition {
  source: string;
  types: Map<string, string>;
  labels: Map<string, Set<string>>;
}

function parseExposition(source: string, text: string): Exposition {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    const sampleLine = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sampleLine) continue;
    const seen = labels.get(sampleLine[1]) ?? new Set<string>();
    for (const m of (sampleLine[2] ?? '').matchAll(/(\w+)="(?:[^"\\]|\\.)*"/g)) seen.add(m[1]);
    labels.set(sampleLine[1], seen);
  }
  return { source, types, labels };
}

/** The metric family a series belongs to in this exposition, or undefined when not exposed. */
function familyOf(exposition: Exposition, series: string): string | undefined {
  // A histogram has no series of its own name: only _bucket, _sum and _count.
  const own = exposition.types.get(series);
  if (own !== undefined) return own === 'histogram' ? undefined : series;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  if (!m) return undefined;
  const type = exposition.types.get(m[1]);
  if (type === 'histogram') return m[1];
  if (type === 'summary' && m[2] !== 'bucket') return m[1];
  return undefined;
}

const dashboard = loadDashboard();
const queries = dashboardQueries(dashboard);
/** Every series name the dashboard reads (`_bucket`/`_sum`/`_count` included, as written). */
const seriesQueried = [...new Set(queries.flatMap((q) => q.parsed.selectors.map((s) => s.series)))];
const needs = labelNeeds(queries);

/**
 * Which of `needs` no exposition satisfies. A series with samples must carry the label on at
 * least one sample; a series without samples (a labelled counter never incremented) is judged
 * by the labels its metric was declared with, when `declared` knows it, else it is a failure
 * unless `allowUnsampled` says another suite proved it.
 */
function unmetLabelNeeds(
  expositions: Exposition[],
  declared: (family: string) => readonly string[] | undefined,
  allowUnsampled: (series: string) => boolean,
): { unmet: string[]; byDeclaration: string[] } {
  const unmet: string[] = [];
  const byDeclaration: string[] = [];
  for (const need of needs) {
    const sampled = expositions.filter((e) => e.labels.has(need.series));
    if (sampled.some((e) => e.labels.get(need.series)!.has(need.label))) continue;
    if (sampled.length > 0) {
      unmet.push(`${need.where}: no sample of ${need.series} has the label ${need.label}`);
      continue;
    }
    const family = expositions.map((e) => familyOf(e, need.series)).find(Boolean);
    const labels = family ? declared(family) : undefined;
    const withLe = labels && need.series.endsWith('_bucket') ? [...labels, 'le'] : labels;
    if (withLe?.includes(need.label)) {
      byDeclaration.push(`${need.series}{${need.label}}`);
    } else if (!allowUnsampled(need.series)) {
      unmet.push(`${need.where}: ${need.series} has no sample and no declared label ${need.label}`);
    }
  }
  return { unmet, byDeclaration: [...new Set(byDeclaration)] };
}

describe('the Grafana dashboard (deploy/helm/cleave/dashboards/cleave.json)', () => {
  it('is a dashboard model Grafana imports as it is: uid, title, unique panel ids, a datasource variable, no Helm syntax', () => {
    expect(dashboard.uid).toBe('cleave');
    expect(dashboard.title).toBe('cleave');
    expect(typeof dashboard.schemaVersion).toBe('number');
    const panels = allPanels(dashboard);
    expect(panels.length).toBeGreaterThan(10);
    const ids = panels.map((p) => p.id);
    for (const id of ids) expect(Number.isInteger(id)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.gridPos).toBeDefined();
      expect(panel.gridPos!.x + panel.gridPos!.w).toBeLessThanOrEqual(24);
      if (panel.type !== 'row') expect(panel.targets?.length).toBeGreaterThan(0);
    }

    const variables = dashboard.templating?.list ?? [];
    expect(variables).toContainEqual(
      expect.objectContaining({ type: 'datasource', name: 'datasource', query: 'prometheus' }),
    );
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['namespace', 'job']));

    // Every data source reference is the variable: nothing bound to one Grafana's uids.
    const references: unknown[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === 'datasource') references.push(inner);
          walk(inner);
        }
      }
    };
    walk(dashboard);
    expect(references.length).toBeGreaterThan(panels.length);
    for (const ref of references) expect(ref).toEqual({ type: 'prometheus', uid: '${datasource}' });

    // The chart reads the file with .Files.Get, which does not template: `{{…}}` may only be
    // Grafana's legend placeholders.
    for (const m of rawDashboard.matchAll(/\{\{[^}]*\}\}/g)) expect(m[0]).toMatch(/^\{\{\w+\}\}$/);
    expect(rawDashboard).not.toMatch(/\{\{[-\s.]|\{\{$/m);
  });

  it('names at least one metric in every query, reads them with known PromQL, and legends show grouped labels', () => {
    expect(queries.length).toBeGreaterThan(panelsWithTargets());
    for (const query of queries) {
      expect({ where: query.where, series: query.parsed.selectors.length > 0 }).toEqual({
        where: query.where,
        series: true,
      });
      if (query.parsed.aggregates) {
        const missing = query.resultLabels.filter((l) => !query.parsed.grouping.includes(l));
        expect({ where: query.where, legendNotGrouped: missing }).toEqual({
          where: query.where,
          legendNotGrouped: [],
        });
      }
    }
    // The reader: functions, keywords, variables and ranges are not metric names.
    const parsed = parsePromQL(
      'histogram_quantile(0.95, sum by (le, job) (rate(a_bucket{x=~"$v", y!="1"}[$__rate_interval]))) / on (job) group_left max(b == bool 2) or vector(0)',
    );
    expect(parsed.selectors).toEqual([
      { series: 'a_bucket', labels: ['x', 'y'] },
      { series: 'b', labels: [] },
    ]);
    expect(parsed.grouping).toEqual(['le', 'job', 'job']);
    expect(() => parsePromQL('sum(rte(a[5m]))')).toThrow(/not valid PromQL .*rte\(/);
    expect(() => parsePromQL('rate(a[5m]')).toThrow(/not valid PromQL/);
    expect(() => parsePromQL('{__name__="a"}')).toThrow(/without a metric name/);
    // Histogram series map back to their metric's name; a counter's _count does not.
    const exposition = parseExposition(
      'sample',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\n# TYPE c_total counter\nc_total 1\n',
    );
    expect(familyOf(exposition, 'h_bucket')).toBe('h');
    expect(familyOf(exposition, 'h_count')).toBe('h');
    expect(familyOf(exposition, 'c_total')).toBe('c_total');
    expect(familyOf(exposition, 'c_count')).toBeUndefined();
    expect(familyOf(exposition, 'h')).toBeUndefined();
  });
});

function panelsWithTargets(): number {
  return allPanels(dashboard).filter((p) => (p.targets?.length ?? 0) > 0).length;
}

describe('every metric the dashboard queries is exposed by the one-process app', () => {
  const app = useTestApp({ store: 'pglite' });

  it('after sign-up, login, errors and orders, /metrics has every queried metric and every label the queries use', async () => {
    await sendKnownTraffic(app, 1);

    const text = await eventually(async () => {
      const text = (await request(app.url).get('/metrics').expect(200)).text;
      // The events went through the outbox and the bus to their handler.
      expect(sample(text, 'outbox_published_total', { module: 'order' })).toBeGreaterThanOrEqual(2);
      expect(handled(text, 'event', 'order.created')).toBe(2);
      return text;
    }, 15_000);
    const exposition = parseExposition('one process', text);

    // Every queried series is exposed, except those only TRANSPORT=nats has.
    const missing = seriesQueried.filter((s) => familyOf(exposition, s) === undefined);
    expect(missing.filter((s) => !NATS_ONLY.has(s))).toEqual([]);
    // The NATS-only list is exact: each is queried, and none hides here by mistake.
    for (const name of NATS_ONLY) expect(seriesQueried).toContain(name);
    expect(missing.sort()).toEqual([...NATS_ONLY].sort());

    // The families the dashboard is about are all there (guards against an empty parse).
    const families = new Set(seriesQueried.map((s) => familyOf(exposition, s)));
    for (const name of [
      'http_request_duration_seconds',
      'bus_request_duration_seconds',
      'bus_handler_duration_seconds',
      'bus_publish_duration_seconds',
      'circuit_breaker_state',
      'circuit_breaker_events_total',
      'outbox_pending_events',
      'outbox_published_total',
      'outbox_publish_failures_total',
    ])
      expect(families).toContain(name);

    // Every label a query filters or groups by is on a sample of that series (or, for a
    // labelled metric with no sample yet, among the labels it is declared with).
    const registry = app.app!.get(Metrics).registry;
    const { unmet, byDeclaration } = unmetLabelNeeds(
      [exposition],
      (family) =>
        (registry.getSingleMetric(family) as unknown as { labelNames?: readonly string[] })
          ?.labelNames,
      (series) => NATS_ONLY.has(series),
    );
    expect(unmet).toEqual([]);
    // Only the failure counter may lack samples after a run without failures.
    expect(byDeclaration).toEqual(['outbox_publish_failures_total{module}']);
  });
});

describeOrSkip(
  'the metrics only TRANSPORT=nats has (JetStream consumer lag) are exposed by the split shape',
  shapeTargets().includes('split') ? false : 'postgres, redis or nats unreachable',
  () => {
    let app: SplitApp;
    beforeAll(async () => {
      app = await startSplitApp();
    });
    afterAll(() => app?.close());

    it('every queried metric is exposed by some process of the split shape, the JetStream lag by the user module with its consumer label', async () => {
      const user = await signUp(app.url);
      const order = await call({ url: app.url, token: user.token }, 'POST', '/api/orders', {
        items: [{ sku: 'SKU-1', name: 'Widget', quantity: 1, unitPriceCents: 500 }],
        currency: 'EUR',
      });
      expect(order.status).toBe(201);

      const sources = {
        gateway: app.gateway,
        auth: app.processes.auth,
        user: app.processes.user,
        order: app.processes.order,
      };
      await eventually(async () => {
        const expositions = await Promise.all(
          Object.entries(sources).map(async ([name, p]) =>
            parseExposition(name, await (await fetch(`${p.url}/metrics`)).text()),
          ),
        );
        const missing = seriesQueried.filter(
          (s) => !expositions.some((e) => familyOf(e, s) !== undefined),
        );
        expect(missing).toEqual([]);
        // The lag gauges: in the user module (the order summary's durable consumers), with
        // samples labelled by consumer.
        const userExposition = expositions.find((e) => e.source === 'user')!;
        for (const name of NATS_ONLY) {
          expect(userExposition.types.get(name)).toBe('gauge');
          expect([...(userExposition.labels.get(name) ?? [])]).toContain('consumer');
        }
        // Labels: what has samples here must carry them; series without samples here were
        // proven by the one-process suite, except the NATS-only ones, which must have samples.
        const { unmet } = unmetLabelNeeds(
          expositions,
          () => undefined,
          (series) => !NATS_ONLY.has(series),
        );
        expect(unmet).toEqual([]);
      }, 20_000);
    });
  },
);
