import { z } from 'zod';

/**
 * The bus is a published contract. Each message a module sends or answers is declared once, in
 * its module's contract file, with a `define*` below: its name, the module it belongs to, the
 * version of its payload and the payload's schema. Senders build messages from the declaration
 * (so every message carries its version and source), readers check them against it
 * (`reading.ts`), and the AsyncAPI document is generated from the declarations
 * (`npm run asyncapi`).
 *
 * How a contract evolves (after Kubernetes' API conventions and CloudEvents): adding an
 * optional field or an enum value is a minor version (readers ignore fields they do not know
 * and map an enum value they do not know to its documented fallback); anything else (a field
 * removed, retyped or newly required) is a new major version, published or answered beside the
 * old one for one release, and readers list the majors they understand in `readable`.
 */

/** `major.minor` of a payload's schema. */
export type ContractVersion = `${number}.${number}`;

interface Declared {
  /** The module that publishes the message, or answers the request. */
  readonly owner: string;
  readonly version: ContractVersion;
  /** Majors of this message a reader in this release understands (default: the current one). */
  readonly readable: readonly number[];
  readonly summary: string;
  readonly description?: string;
  /** Why it is still here and until when, for a message kept only for the previous release. */
  readonly deprecated?: string;
}

/** An event: published through the outbox, delivered durably, to one replica of each consumer. */
export interface EventContract<D = unknown> extends Declared {
  readonly kind: 'event';
  readonly name: string;
  readonly data: z.ZodType<D>;
}

/** A request answered by one replica of its owner, and its reply. */
export interface RequestContract<Q = unknown, R = unknown> extends Declared {
  readonly kind: 'request';
  readonly name: string;
  readonly request: z.ZodType<Q>;
  readonly reply: z.ZodType<R>;
}

/** Sent to every process (every replica of every module), not stored for one consumer. */
export interface BroadcastContract<D = unknown> extends Declared {
  readonly kind: 'broadcast';
  readonly name: string;
  readonly data: z.ZodType<D>;
}

export type MessageContract = EventContract | RequestContract | BroadcastContract;

type Definition<C> = Omit<C, 'kind' | 'readable'> & { readable?: readonly number[] };

export function defineEvent<D>(definition: Definition<EventContract<D>>): EventContract<D> {
  return { kind: 'event', ...withReadable(definition) };
}

export function defineRequest<Q, R>(
  definition: Definition<RequestContract<Q, R>>,
): RequestContract<Q, R> {
  return { kind: 'request', ...withReadable(definition) };
}

export function defineBroadcast<D>(
  definition: Definition<BroadcastContract<D>>,
): BroadcastContract<D> {
  return { kind: 'broadcast', ...withReadable(definition) };
}

function withReadable<T extends { version: ContractVersion; readable?: readonly number[] }>(
  definition: T,
): T & { readable: readonly number[] } {
  return { ...definition, readable: definition.readable ?? [majorOf(definition.version)] };
}

export function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

/**
 * An enum whose readers map a value they do not know (a newer peer's) to `fallback`, as a
 * tolerant reader must; the schema documents the fallback.
 */
export function tolerantEnum<const T extends readonly [string, ...string[]], F extends string>(
  values: T,
  fallback: F,
): z.ZodType<T[number] | F> {
  return z
    .enum(values)
    .catch(fallback as never)
    .describe(`one of ${values.join(', ')}; a value a reader does not know reads as "${fallback}"`);
}

/** The CloudEvents `source` of what `owner` sends. */
export function sourceOf(owner: string): string {
  return `/cleave/${owner}`;
}
