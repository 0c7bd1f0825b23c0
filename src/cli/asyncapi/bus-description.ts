import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants';
import { EVERY_PROCESS, NEST_MODULES } from '../../app.module';
import { AUTH_MESSAGES } from '../../modules/auth/auth.contract';
import { ORDER_MESSAGES } from '../../modules/order/order.contract';
import { USER_MESSAGES } from '../../modules/user/user.contract';
import * as security from '../../shared/security/security.contract';
import * as user from '../../modules/user/user.contract';
import * as order from '../../modules/order/order.contract';
import {
  type BusDescription,
  EVOLUTION_RULES,
  NATS_LAYOUT,
  type Participant,
} from '../../shared/bus/asyncapi/document';
import { CLOUDEVENTS_ENVELOPE } from '../../shared/bus/asyncapi/envelope';
import type { MessageContract, RequestContract } from '../../shared/bus/contract';
import { BUSINESS_MODULES } from '../../shared/modules/registry';

/** The repository's root, from src/cli/asyncapi or dist/cli/asyncapi alike. */
export const ROOT = join(__dirname, '..', '..', '..');

/** Every message of the three contract lists, in the order the modules start. */
export const MESSAGES: readonly MessageContract[] = [
  ...AUTH_MESSAGES,
  ...USER_MESSAGES,
  ...ORDER_MESSAGES,
];

/**
 * The bus as this release's code declares it: the contract lists; who handles what, from the
 * handlers' decorators (`@OnEvent`, `@Answers`, `@OnBroadcast`) in each module's Nest module
 * and in what every process runs; who asks what, from the `bus.request(<Contract>, …)` calls in
 * each module's source (and in shared/, which every process runs).
 */
export function describeBus(): BusDescription {
  const asks = requestsAsked();
  const modules: Record<string, Participant> = {};
  for (const name of BUSINESS_MODULES) {
    modules[name] = {
      handles: [NEST_MODULES[name], ...EVERY_PROCESS].flatMap((m) => handlersOf(m)),
      asks: [...new Set([...(asks.get(name) ?? []), ...(asks.get('*') ?? [])])],
    };
  }
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    version,
    description: [CLOUDEVENTS_ENVELOPE.description, EVOLUTION_RULES, NATS_LAYOUT].join('\n\n'),
    messages: MESSAGES,
    modules,
    envelope: CLOUDEVENTS_ENVELOPE,
    storesBroadcasts: true,
  };
}

type Handled = Participant['handles'][number];

/** The handlers of a Nest module's controllers, and of the modules it imports. */
function handlersOf(module: Type | DynamicModule, seen = new Set<unknown>()): Handled[] {
  const type = 'module' in module ? module.module : module;
  if (seen.has(module)) return [];
  seen.add(module);
  const read = (key: string) => (Reflect.getMetadata(key, type) ?? []) as unknown[];
  const dynamic = 'module' in module ? module : undefined;
  const controllers = [...read('controllers'), ...(dynamic?.controllers ?? [])] as Type[];
  const imports = [...read('imports'), ...(dynamic?.imports ?? [])].filter(
    (i): i is Type | DynamicModule =>
      typeof i === 'function' || (typeof i === 'object' && i !== null && 'module' in i),
  );
  return [
    ...controllers.flatMap((controller) => handlersIn(controller)),
    ...imports.flatMap((i) => handlersOf(i, seen)),
  ];
}

function handlersIn(controller: Type): Handled[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype).flatMap((method) => {
    const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, prototype[method] as object) as
      { contract?: MessageContract; consumer?: string } | undefined;
    if (!extras?.contract) return [];
    return [{ contract: extras.contract, ...(extras.consumer && { consumer: extras.consumer }) }];
  });
}

/** Contracts by the name their module exports them under (aliases resolved through imports). */
const EXPORTED = new Map<string, RequestContract>(
  Object.entries({ ...security, ...user, ...order }).flatMap(([name, value]) =>
    MESSAGES.includes(value as MessageContract) && (value as MessageContract).kind === 'request'
      ? [[name, value as RequestContract]]
      : [],
  ),
);

/** The requests each module sends, from its source: module name, or `*` for shared/. */
function requestsAsked(): Map<string, RequestContract[]> {
  const asked = new Map<string, RequestContract[]>();
  const src = join(ROOT, 'src');
  for (const file of sourceFiles(src)) {
    const [top, name] = relative(src, file).split(sep);
    // The modules and what every process runs; not the bus itself, nor the composition root.
    if ((top !== 'modules' && top !== 'shared') || name === 'bus') continue;
    const owner = top === 'modules' ? name : '*';
    const text = readFileSync(file, 'utf8');
    for (const [, local] of text.matchAll(/\bbus\.request\(\s*([A-Za-z_$][\w$]*)/g)) {
      const exported = aliasesIn(text).get(local) ?? local;
      const contract = EXPORTED.get(exported);
      if (!contract) throw new Error(`${file}: bus.request(${local}) names no request contract`);
      asked.set(owner, [...(asked.get(owner) ?? []), contract]);
    }
  }
  return asked;
}

function aliasesIn(text: string): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const [, names] of text.matchAll(/import\s*(?:type\s+)?\{([^}]*)\}\s*from/g)) {
    for (const specifier of names.split(',')) {
      const [exported, local] = specifier
        .replace(/\btype\s+/, '')
        .trim()
        .split(/\s+as\s+/);
      if (exported && local) aliases.set(local, exported);
    }
  }
  return aliases;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /(?<!\.spec)\.ts$/.test(entry.name) ? [path] : [];
  });
}
