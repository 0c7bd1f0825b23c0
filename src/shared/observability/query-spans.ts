import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import { isTracingQueries } from './tracing-state';

/** The scope Postgres query spans are made under. */
export const QUERY_SCOPE = 'cleave-postgres';

const tracer = trace.getTracer(QUERY_SCOPE);

/** Where a module's statements go: what each of its query spans says of the database. */
export interface QueryTarget {
  /** `db.namespace`: for PostgreSQL, the database and the schema, `<database>|<schema>`. */
  namespace: string;
  /** Host and port of a server; none for the embedded PGlite. */
  address?: string;
  port?: number;
}

/** What every query span of one database carries: made once per database, not per query. */
export interface QuerySpans {
  namespace: string;
  attributes: Attributes;
}

export function querySpans(target: QueryTarget): QuerySpans {
  return {
    namespace: target.namespace,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
      [ATTR_DB_NAMESPACE]: target.namespace,
      ...(target.address !== undefined && { [ATTR_SERVER_ADDRESS]: target.address }),
      ...(target.port !== undefined && { [ATTR_SERVER_PORT]: target.port }),
    },
  };
}

/** The statement's first keyword, upper-cased: `SELECT`, `INSERT`, `WITH`… */
function operationOf(text: string): string {
  const match = /^\s*([A-Za-z]+)/.exec(text);
  return match ? match[1].toUpperCase() : 'QUERY';
}

/**
 * Runs `query` (one statement, `text` with its values bound as parameters) in a CLIENT span of
 * the active trace, following OpenTelemetry's database conventions: named `<operation>
 * <namespace>`, with the statement's text (never its values), and on failure its SQLSTATE as
 * `db.response.status_code` and `error.type` (never the message, which may quote a value).
 *
 * Only a trace that is recorded gets one: a query outside any trace (background work) or in a
 * trace that is not sampled runs as it is, at the cost of one look at the active span. This
 * stands in for `@opentelemetry/instrumentation-pg`, which wraps every query and every pool
 * checkout of the process and, once it has traced one query, updates its pool counters on every
 * checkout, sampled or not: `GET /api/users/me` with traces on took 3.6 % less CPU without it
 * (README, "Seeing inside").
 */
export function traceQuery<T>(
  database: QuerySpans,
  text: string,
  query: () => Promise<T>,
): Promise<T> {
  if (!isTracingQueries()) return query();
  const active = context.active();
  if (!trace.getSpan(active)?.isRecording()) return query();
  const operation = operationOf(text);
  const span = tracer.startSpan(
    `${operation} ${database.namespace}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        ...database.attributes,
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_QUERY_TEXT]: text,
      },
    },
    active,
  );
  return query().then(
    (result) => {
      span.end();
      return result;
    },
    (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      const type = typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
      if (typeof code === 'string') span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
      span.setAttribute(ATTR_ERROR_TYPE, type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      span.end();
      throw error;
    },
  );
}
