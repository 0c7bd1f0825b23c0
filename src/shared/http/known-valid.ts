import {
  getMetadataStorage,
  ValidationTypes,
  type ValidationArguments,
  type ValidatorOptions,
} from 'class-validator';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/**
 * Proves a request DTO valid without class-validator's executor, using its own metadata and its
 * own constraint functions: the executor looks up and filters every class's metadata on each
 * call, and builds an error object per property before it knows of any error, which made
 * validation 13 % of the CPU of `POST /api/orders`.
 *
 * The walk is the executor's (whitelist, `@IsOptional`, `each`, nested objects by their class),
 * so a value it passes is one the executor passes. It answers only true or false: anything it
 * does not mirror (groups, `@IsDefined`, `@ValidateIf`, `@ValidatePromise`, `@Allow`, an async
 * constraint, other options) and every failure make it answer false, and the caller then asks
 * class-validator, whose errors are the ones clients get.
 */

/** One property's rules, resolved once per class. */
interface PropertyRules {
  name: string;
  /** `@IsOptional`: the other rules are skipped when the value is null or undefined. */
  optional: Array<(object: object, value: unknown) => boolean>;
  checks: Array<{ metadata: ValidationMetadata; constraints: ConstraintMetadata[] }>;
  /** `@ValidateNested`: each object found (or each item's) is checked by its own class. */
  nested: boolean;
}

/** A class's rules, or null when it has one the walk does not mirror. */
type ClassRules = { properties: PropertyRules[]; names: Set<string> } | null;

const MIRRORED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
]);

/** The options whose executor the walk mirrors (`createValidationPipe`'s). */
const MIRRORED_OPTIONS = new Set([
  'whitelist',
  'forbidNonWhitelisted',
  'forbidUnknownValues',
  'stopAtFirstError',
  'validationError',
]);

function mirrors(options: ValidatorOptions | undefined): boolean {
  if (!options || options.whitelist !== true || options.forbidNonWhitelisted !== true) return false;
  if (options.forbidUnknownValues === false) return false;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !MIRRORED_OPTIONS.has(key)) return false;
  }
  return true;
}

export class KnownValid {
  private readonly rules = new Map<unknown, ClassRules>();
  /** Whether the executor of these options is the one the walk mirrors; decided once. */
  private readonly mirrored: boolean;

  /** For class-validator given `options` (the pipe's, fixed for its life). */
  constructor(options: ValidatorOptions | undefined) {
    this.mirrored = mirrors(options);
  }

  /** True only if class-validator, given the options, would find no error in `object`. */
  passes(object: unknown): boolean {
    return this.mirrored && this.objectPasses(object);
  }

  private objectPasses(object: unknown): boolean {
    if (typeof object !== 'object' || object === null) return false;
    const rules = this.rulesOf(object.constructor);
    if (!rules) return false;
    const record = object as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!rules.names.has(key)) return false;
    for (const property of rules.properties)
      if (!this.propertyPasses(record, property)) return false;
    return true;
  }

  private propertyPasses(object: Record<string, unknown>, property: PropertyRules): boolean {
    const value = object[property.name];
    for (const present of property.optional) if (!present(object, value)) return true;
    for (const { metadata, constraints } of property.checks) {
      const args: ValidationArguments = {
        targetName: object.constructor.name,
        property: property.name,
        object,
        value,
        constraints: metadata.constraints,
      };
      const items = metadata.each ? itemsOf(value) : undefined;
      for (const { instance } of constraints) {
        // Only `true` passes: an async result (a promise) is one the executor awaits.
        if (items === undefined) {
          if (instance.validate(value, args) !== true) return false;
        } else {
          for (const item of items) if (instance.validate(item, args) !== true) return false;
        }
      }
    }
    if (!property.nested || value === undefined) return true;
    const items = itemsOf(value);
    if (items === undefined) return this.nestedPasses(value);
    // An undefined item the executor skips; a primitive one is an error.
    for (const item of items) if (item !== undefined && !this.nestedPasses(item)) return false;
    return true;
  }

  private nestedPasses(value: unknown): boolean {
    return value instanceof Object && this.objectPasses(value);
  }

  private rulesOf(target: unknown): ClassRules {
    if (!this.rules.has(target)) this.rules.set(target, compile(target));
    return this.rules.get(target) ?? null;
  }
}

/** Keys Nest's pipe deletes from a value before it validates (`stripProtoKeys`). */
const STRIPPED = ['__proto__', 'prototype', 'constructor'];
/** Values of more levels are left to Nest's pipe, which walks them without recursion. */
const MAX_DEPTH = 16;

/**
 * True if `value` is an object as JSON or a query string makes it: plain objects and arrays
 * without gaps, of strings, numbers, booleans and null, no deeper than MAX_DEPTH, with no key
 * that Nest's pipe would strip. On such a value the pipe's preparation (closing array gaps,
 * stripping those keys, looking for binary values) changes and finds nothing.
 */
export function isJsonTree(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !isJsonLeafOrTree(value[i], depth + 1)) return false;
    }
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key of STRIPPED) if (Object.hasOwn(value, key)) return false;
  for (const item of Object.values(value)) if (!isJsonLeafOrTree(item, depth + 1)) return false;
  return true;
}

function isJsonLeafOrTree(value: unknown, depth: number): boolean {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'boolean'
    ? true
    : isJsonTree(value, depth);
}

/** The items `each` applies to: an array's, a Set's or a Map's values; else undefined. */
function itemsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[];
  if (value instanceof Set || value instanceof Map)
    return [...(value.values() as Iterable<unknown>)];
  return undefined;
}

function compile(target: unknown): ClassRules {
  if (typeof target !== 'function' || target === Object) return null;
  const storage = getMetadataStorage();
  // The executor's own query, with the pipe's options (no groups, not `always`, not strict). No
  // schema name: a class's metadata is stored under the class, a schema's under its name.
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) return null;
  const byName = storage.groupByPropertyName(metadatas);
  const properties: PropertyRules[] = [];
  for (const [name, list] of Object.entries(byName)) {
    const property: PropertyRules = { name, optional: [], checks: [], nested: false };
    for (const metadata of list) {
      if (!MIRRORED.has(metadata.type) || metadata.validateIf || metadata.always) return null;
      if (metadata.groups?.length) return null;
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        property.optional.push(metadata.constraints[0] as (o: object, v: unknown) => boolean);
      } else if (metadata.type === ValidationTypes.NESTED_VALIDATION) {
        property.nested = true;
      } else {
        const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
        if (constraints.length === 0 || constraints.some((constraint) => constraint.async)) {
          return null;
        }
        property.checks.push({ metadata, constraints });
      }
    }
    properties.push(property);
  }
  return { properties, names: new Set(Object.keys(byName)) };
}
