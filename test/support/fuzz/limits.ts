import { randomUUID } from 'node:crypto';
import type { OpenAPIV3 } from 'openapi-types';

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
  operationId: string;
  /** Where the limit is: `body items[0].quantity`, `query limit`, `header Idempotency-Key`. */
  where: 'body' | 'query' | 'header';
  field: string;
  rule: 'maxLength' | 'minLength' | 'maximum' | 'minimum' | 'maxItems' | 'minItems';
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

type Schema = OpenAPIV3.SchemaObject;
type Doc = OpenAPIV3.Document;

const RULES = ['maxLength', 'minLength', 'maximum', 'minimum', 'maxItems', 'minItems'] as const;

let unique = 0;

/** Every documented request limit of `document`. */
export function limitCases(document: Doc): LimitCase[] {
  const cases: LimitCase[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['post', 'put', 'patch', 'get', 'delete'] as const) {
      const operation = item?.[method];
      if (!operation) continue;
      const security = operation.security ?? document.security ?? [];
      const auth: LimitCase['auth'] =
        security.length === 0 || security.every((s) => Object.keys(s).length === 0)
          ? 'none'
          : operation.responses['403']
            ? 'admin'
            : 'user';
      const base = {
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId ?? `${method} ${path}`,
        auth,
      };
      const parameters = (operation.parameters ?? []).map(
        (p) => resolve(document, p) as OpenAPIV3.ParameterObject,
      );
      const baseQuery = (): Record<string, string> => ({});
      const baseHeaders = (): Record<string, string> => ({});
      const body = operation.requestBody
        ? (resolve(document, operation.requestBody) as OpenAPIV3.RequestBodyObject).content[
            'application/json'
          ]?.schema
        : undefined;
      const bodySchema = body ? schemaOf(document, body) : undefined;
      const baseBody = () => (bodySchema ? valid(document, bodySchema) : undefined);

      for (const parameter of parameters) {
        if (parameter.in !== 'query' && parameter.in !== 'header') continue;
        const schema = schemaOf(document, parameter.schema ?? {});
        for (const rule of RULES) {
          const limit = schema[rule];
          if (typeof limit !== 'number') continue;
          cases.push({
            ...base,
            where: parameter.in,
            field: parameter.name,
            opaque: /opaque/i.test(`${parameter.description ?? ''} ${schema.description ?? ''}`),
            rule,
            limit,
            build: (which) => {
              const value = String(edge(document, schema, rule, limit, which));
              const query = baseQuery();
              const headers = baseHeaders();
              if (parameter.in === 'query') query[parameter.name] = value;
              else headers[parameter.name] = value;
              return { body: baseBody(), query, headers };
            },
          });
        }
      }
      if (bodySchema) {
        for (const [field, schema, set] of fields(document, bodySchema, '')) {
          for (const rule of RULES) {
            const limit = schema[rule];
            if (typeof limit !== 'number') continue;
            cases.push({
              ...base,
              where: 'body',
              field,
              opaque: /opaque/i.test(schema.description ?? ''),
              rule,
              limit,
              build: (which) => {
                const value = baseBody();
                set(value, edge(document, schema, rule, limit, which));
                return { body: value, query: baseQuery(), headers: baseHeaders() };
              },
            });
          }
        }
      }
    }
  }
  return cases;
}

type Setter = (root: unknown, value: unknown) => void;

/** Every field of an object schema, depth first: its path, schema and a setter on a value. */
function fields(document: Doc, schema: Schema, prefix: string): Array<[string, Schema, Setter]> {
  const out: Array<[string, Schema, Setter]> = [];
  for (const [name, raw] of Object.entries(schema.properties ?? {})) {
    const property = schemaOf(document, raw);
    const path = prefix ? `${prefix}.${name}` : name;
    const at = (root: unknown) => (root as Record<string, unknown>)[name];
    out.push([path, property, (root, value) => ((root as Record<string, unknown>)[name] = value)]);
    if (property.type === 'object') {
      for (const [inner, innerSchema, set] of fields(document, property, path))
        out.push([inner, innerSchema, (root, value) => set(at(root), value)]);
    }
    if (property.type === 'array') {
      const items = itemsOf(document, property);
      if (items.type === 'object') {
        for (const [inner, innerSchema, set] of fields(document, items, `${path}[0]`))
          out.push([inner, innerSchema, (root, value) => set((at(root) as unknown[])[0], value)]);
      }
    }
  }
  return out;
}

/** A value of `schema` at (`at`) or just past (`past`) its `rule`. */
function edge(
  document: Doc,
  schema: Schema,
  rule: (typeof RULES)[number],
  limit: number,
  which: 'at' | 'past',
): unknown {
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
      const items = itemsOf(document, schema);
      return Array.from({ length: count }, () => valid(document, items));
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

/** A valid value of `schema`: its example, else the smallest that keeps every rule. */
function valid(document: Doc, schema: Schema): unknown {
  if (schema.example !== undefined && schema.format !== 'email')
    return structuredClone(schema.example);
  if (schema.enum?.length) return schema.enum[0];
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, raw] of Object.entries(schema.properties ?? {})) {
        if (!schema.required?.includes(name)) continue;
        out[name] = valid(document, schemaOf(document, raw));
      }
      return out;
    }
    case 'array': {
      const items = itemsOf(document, schema);
      return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () =>
        valid(document, items),
      );
    }
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, Math.min(1, schema.maximum ?? 1));
    case 'boolean':
      return true;
    case 'string':
    case undefined:
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

function itemsOf(document: Doc, schema: Schema): Schema {
  return 'items' in schema ? schemaOf(document, schema.items) : {};
}

function schemaOf(
  document: Doc,
  schema: OpenAPIV3.SchemaObject | OpenAPIV3.ReferenceObject,
): Schema {
  const resolved = resolve(document, schema) as Schema;
  if (!resolved.allOf) return resolved;
  // allOf: one schema with the parts' properties, requirements and rules.
  const merged: Schema = { ...resolved, allOf: undefined };
  for (const part of resolved.allOf.map((p) => schemaOf(document, p))) {
    Object.assign(merged, { ...part, properties: { ...merged.properties, ...part.properties } });
    merged.required = [...(merged.required ?? []), ...(part.required ?? [])];
  }
  return merged;
}

function resolve(document: Doc, value: unknown): unknown {
  let at = value;
  for (let hops = 0; hops < 10 && typeof at === 'object' && at !== null && '$ref' in at; hops++) {
    const ref = (at as OpenAPIV3.ReferenceObject).$ref;
    at = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], document);
  }
  return at;
}
