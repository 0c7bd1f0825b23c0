import { randomUUID } from 'node:crypto';
import { resolve, routes, withValueAt, type Schema } from '../openapi';

/**
 * Every limit openapi.json documents for a request, as two requests: one with the value at the
 * limit (which the server must accept: any answer but 400) and one just past it (which it must
 * refuse with 400). Read from the document, so a limit added there is tested without a line here,
 * and a limit the document gives with another number than the server's fails.
 *
 * Covered: body fields at any depth (`maxLength`, `minLength`, `maximum`, `minimum`, `maxItems`,
 * `minItems`), query parameters and header parameters. Path ids are not: an id over 100
 * characters is 414 and one that is not a UUID 400 (see the hostile-input suite).
 */
export interface LimitCase {
  method: string;
  path: string;
  /** Where the limit is: `body items[0].quantity`, `query limit`, `header Idempotency-Key`. */
  where: 'body' | 'query' | 'header';
  field: string;
  rule: Rule;
  limit: number;
  /** Documented as opaque (a cursor): no value made up here is a real one. */
  opaque: boolean;
  /** The operation's security says it needs a token; 403 among its answers: an admin's. */
  auth: 'none' | 'user' | 'admin';
  /** The request with the value at the limit (`at`) or one past it (`past`). */
  build(which: 'at' | 'past'): {
    body?: unknown;
    query: Record<string, string>;
    headers: Record<string, string>;
  };
}

const RULES = ['maxLength', 'minLength', 'maximum', 'minimum', 'maxItems', 'minItems'] as const;
type Rule = (typeof RULES)[number];

let unique = 0;

/** Every documented request limit of the committed document. */
export function limitCases(): LimitCase[] {
  const cases: LimitCase[] = [];
  for (const { method, path, operation, body, secured } of routes()) {
    const auth: LimitCase['auth'] = !secured
      ? 'none'
      : operation.responses?.['403']
        ? 'admin'
        : 'user';
    const base = { method, path, auth };
    const baseBody = () => (body ? valid(body) : undefined);
    for (const parameter of operation.parameters ?? []) {
      if (parameter.in !== 'query' && parameter.in !== 'header') continue;
      const where = parameter.in;
      const schema = resolve(parameter.schema ?? {});
      const opaque = /opaque/i.test(`${parameter.description ?? ''} ${schema.description ?? ''}`);
      for (const [rule, limit] of rulesOf(schema)) {
        cases.push({
          ...base,
          where,
          field: parameter.name,
          rule,
          limit,
          opaque,
          build: (which) => {
            const value = String(edge(schema, rule, limit, which));
            return {
              body: baseBody(),
              query: where === 'query' ? { [parameter.name]: value } : {},
              headers: where === 'header' ? { [parameter.name]: value } : {},
            };
          },
        });
      }
    }
    if (!body) continue;
    for (const [field, schema] of fields(body, '')) {
      for (const [rule, limit] of rulesOf(schema)) {
        cases.push({
          ...base,
          where: 'body',
          field,
          rule,
          limit,
          opaque: /opaque/i.test(schema.description ?? ''),
          build: (which) => ({
            body: withValueAt(baseBody(), field, edge(schema, rule, limit, which)),
            query: {},
            headers: {},
          }),
        });
      }
    }
  }
  return cases;
}

function rulesOf(schema: Schema): Array<[Rule, number]> {
  return RULES.flatMap((rule) => (typeof schema[rule] === 'number' ? [[rule, schema[rule]]] : []));
}

/** Every field of an object schema, depth first (`items[0].quantity`: the first of an array). */
function fields(schema: Schema, prefix: string): Array<[string, Schema]> {
  return Object.entries(resolve(schema).properties ?? {}).flatMap(([name, raw]) => {
    const property = resolve(raw);
    const path = prefix ? `${prefix}.${name}` : name;
    const items = property.type === 'array' && property.items ? resolve(property.items) : undefined;
    return [
      [path, property] as [string, Schema],
      ...(property.type === 'object' ? fields(property, path) : []),
      ...(items?.type === 'object' ? fields(items, `${path}[0]`) : []),
    ];
  });
}

/** A value of `schema` at (`at`) or just past (`past`) its `rule`. */
function edge(schema: Schema, rule: Rule, limit: number, which: 'at' | 'past'): unknown {
  const step = which === 'at' ? 0 : 1;
  switch (rule) {
    case 'maxLength':
      return text(schema, limit + step);
    case 'minLength':
      return text(schema, limit - step);
    case 'maximum':
      return limit + step;
    case 'minimum':
      return limit - step;
    case 'maxItems':
    case 'minItems': {
      const count = rule === 'maxItems' ? limit + step : limit - step;
      return Array.from({ length: count }, () => valid(schema.items ?? {}));
    }
  }
}

/** A string of exactly `length` characters that keeps the schema's format and pattern. */
function text(schema: Schema, length: number): string {
  if (length <= 0) return '';
  if (schema.format === 'email') return email(length);
  const seed = sample(schema);
  const fill = /^[A-Z]+$/.test(seed) ? 'A' : /^[0-9]+$/.test(seed) ? '1' : 'a';
  return (seed + fill.repeat(length)).slice(0, length);
}

/** An address of exactly `length` characters: a local part of 64 at most, labels of 59. */
function email(length: number): string {
  unique += 1;
  const tag = `l${process.pid}x${Date.now().toString(36)}x${unique}`;
  const local = (tag + 'a'.repeat(64)).slice(0, Math.max(1, Math.min(64, length - 6)));
  const room = Math.max(1, length - local.length - 1 - '.com'.length);
  const domain: string[] = Array.from({ length: room }, (_, i) => (i % 60 === 59 ? '.' : 'd'));
  if (domain[room - 1] === '.') [domain[room - 2], domain[room - 1]] = ['.', 'd'];
  return `${local}@${domain.join('')}.com`;
}

/**
 * A valid value of `schema`: its example, else the smallest that keeps every rule. Unlike
 * openapi.ts' `validExample`, an address is new each time (a sign-up at a limit must not meet
 * an earlier one) and a string keeps its pattern.
 */
function valid(raw: Schema): unknown {
  const schema = resolve(raw);
  if (schema.example !== undefined && schema.format !== 'email')
    return structuredClone(schema.example);
  if (schema.enum?.length) return schema.enum[0];
  switch (schema.type ?? 'string') {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([name]) => schema.required?.includes(name))
          .map(([name, property]) => [name, valid(property)]),
      );
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () =>
        valid(schema.items ?? {}),
      );
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, Math.min(1, schema.maximum ?? 1));
    case 'boolean':
      return true;
    default:
      if (schema.format === 'email') return email(30);
      if (schema.format === 'uuid') return randomUUID();
      return text(schema, Math.max(schema.minLength ?? 0, Math.min(12, schema.maxLength ?? 12)));
  }
}

/** The shortest of a few candidates that matches the schema's pattern, or a plain word. */
function sample(schema: Schema): string {
  if (!schema.pattern) return 'value';
  const pattern = new RegExp(schema.pattern);
  const candidates = ['EUR', 'value', 'a', 'A', '1', 'abc-123', 'Value1!'];
  return candidates.find((c) => pattern.test(c)) ?? 'value';
}
