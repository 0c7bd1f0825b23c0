import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A JSON Schema as the committed OpenAPI document writes one (the parts the tests read). */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  example?: unknown;
  description?: string;
}

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: Schema;
  }>;
  requestBody?: { content: { 'application/json': { schema: Schema } } };
  responses?: Record<string, unknown>;
}

export interface OpenApiDocument {
  info: { title: string; description?: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

/** The committed `openapi.json`, the document every shape serves. */
export const OPENAPI = JSON.parse(
  readFileSync(join(process.cwd(), 'openapi.json'), 'utf8'),
) as OpenApiDocument;

export interface Route {
  method: string;
  /** The OpenAPI path template, e.g. `/api/orders/{id}`. */
  path: string;
  operation: Operation;
  /** The JSON body's schema, refs resolved at the top. */
  body?: Schema;
  /** Whether the document says the route needs a bearer token. */
  secured: boolean;
}

export function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split('/').at(-1) ?? '';
  const found = OPENAPI.components.schemas[name];
  if (!found) throw new Error(`openapi.json has no schema ${schema.$ref}`);
  return resolve(found);
}

/** Every operation of the document. */
export function routes(): Route[] {
  return Object.entries(OPENAPI.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const body = operation.requestBody?.content['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        operation,
        ...(body && { body: resolve(body) }),
        secured: (operation.security ?? []).some((s) => 'bearer' in s),
      };
    }),
  );
}

/** The paths (`items[0].sku` style) of every string field of a body schema. */
export function stringFields(schema: Schema, path = ''): string[] {
  const s = resolve(schema);
  if (s.type === 'string') return [path];
  if (s.type === 'array' && s.items) return stringFields(s.items, `${path}[0]`);
  return Object.entries(s.properties ?? {}).flatMap(([key, child]) =>
    stringFields(child, path === '' ? key : `${path}.${key}`),
  );
}

/** A body the schema accepts (its examples, enums and bounds), for one item per array. */
export function validExample(schema: Schema): unknown {
  const s = resolve(schema);
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  switch (s.type ?? 'object') {
    case 'string':
      if (s.format === 'email') return 'someone@example.com';
      if (s.pattern) return 'SKU-1';
      return 'x'.repeat(Math.max(s.minLength ?? 1, 8));
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, 1);
    case 'array':
      return [validExample(s.items ?? {})];
    default:
      return Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([key, child]) => [key, validExample(child)]),
      );
  }
}

/** Sets the value at a `items[0].sku` style path of a (cloned) body. */
export function withValueAt(body: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split(/\.|(?=\[)/).map((k) => (k.startsWith('[') ? Number(k.slice(1, -1)) : k));
  let target: Record<string | number, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[keys.at(-1)!] = value;
  return copy;
}
