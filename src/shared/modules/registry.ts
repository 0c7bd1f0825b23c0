/**
 * What the rest of the system needs to know about each business module, in one place: config
 * validation, the gateway, the logger, the operator CLI, the split launcher and the chart's
 * tests read it. A module's code lives in `src/modules/<name>/`; adding a module is that folder,
 * one line here, and its Nest module in the composition root (`app.module.ts`, which the
 * compiler holds to this list).
 */
export interface ModuleDescriptor {
  /** The part of the API it serves: the gateway proxies it, logs and metrics name it. */
  readonly routePrefix: `/api/${string}`;
  /** The modules it asks over the bus: with TRANSPORT=local they must share its process. */
  readonly asks: readonly string[];
  /** The variable naming its database; without it, the module's embedded one under DATA_DIR. */
  readonly databaseVariable: string;
  /** Its outbox (events it publishes): the Postgres schema, and the MongoDB collection when it
   * can live on MongoDB. */
  readonly outbox?: { readonly schema: string; readonly collection?: string };
}

export type Registry = Readonly<Record<string, ModuleDescriptor>>;

export const MODULE_REGISTRY = {
  auth: { routePrefix: '/api/auth', asks: ['user'], databaseVariable: 'AUTH_REDIS_URL' },
  user: {
    routePrefix: '/api/users',
    asks: ['auth'],
    databaseVariable: 'USER_DATABASE_URL',
    outbox: { schema: 'cleave_user' },
  },
  order: {
    routePrefix: '/api/orders',
    asks: ['user', 'auth'],
    databaseVariable: 'ORDER_DATABASE_URL',
    outbox: { schema: 'cleave_order', collection: 'orders' },
  },
} as const satisfies Registry;

/** The business modules: the split shape runs each in a process of its own. */
export type BusinessModule = keyof typeof MODULE_REGISTRY;
export const BUSINESS_MODULES = Object.keys(MODULE_REGISTRY) as BusinessModule[];

/** A module's descriptor by name; undefined for a name that is not registered. */
export function descriptorOf(
  name: string,
  registry: Registry = MODULE_REGISTRY,
): ModuleDescriptor | undefined {
  return Object.hasOwn(registry, name) ? registry[name] : undefined;
}

/** The modules that keep an outbox (the operator CLI serves them). */
export function outboxModules(registry: Registry = MODULE_REGISTRY): string[] {
  return Object.keys(registry).filter((name) => registry[name].outbox !== undefined);
}

/**
 * Which module serves a route template (by its prefix); `edge` for the rest. Asked for every
 * request's log line: the answers for the application's registry are kept, per template (a
 * bounded set; past `MAX_KNOWN_ROUTES` it is worked out each time).
 */
export function moduleOfRoute(route: string, registry: Registry = MODULE_REGISTRY): string {
  if (registry !== MODULE_REGISTRY) return findModuleOfRoute(route, registry);
  let name = knownRoutes.get(route);
  if (name === undefined) {
    name = findModuleOfRoute(route, registry);
    if (knownRoutes.size < MAX_KNOWN_ROUTES) knownRoutes.set(route, name);
  }
  return name;
}

const MAX_KNOWN_ROUTES = 1_000;
const knownRoutes = new Map<string, string>();

function findModuleOfRoute(route: string, registry: Registry): string {
  for (const [name, module] of Object.entries(registry)) {
    if (route === module.routePrefix || route.startsWith(`${module.routePrefix}/`)) return name;
  }
  return 'edge';
}

/** For each module in `loaded`, the modules it asks that are not loaded beside it. */
export function missingPeers(
  loaded: ReadonlySet<string>,
  registry: Registry = MODULE_REGISTRY,
): Array<{ module: string; missing: string[] }> {
  return Object.entries(registry)
    .filter(([name]) => loaded.has(name))
    .map(([name, module]) => ({ module: name, missing: module.asks.filter((m) => !loaded.has(m)) }))
    .filter((entry) => entry.missing.length > 0);
}
