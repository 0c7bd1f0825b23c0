import { BUSINESS_MODULES, type BusinessModule } from '../shared/modules/registry';
import { ManagedProcess, onFreePort, Output } from './managed-process';

/** The processes of the split shape: one per business module, and the gateway. */
export type SplitProcess = BusinessModule | 'gateway';

/** One process of the split shape and where it listens. */
export interface Launched<P> {
  process: P;
  port: number;
  url: string;
  /** The environment it was started with (restart it with the same). */
  env: Record<string, string>;
}

export interface SplitOptions<P extends { kill(): Promise<void> }> {
  /** Settings every process gets (databases, NATS, ...); TRANSPORT=nats is added. */
  env: Record<string, string>;
  /** Where they listen (loopback by default). */
  host?: string;
  /** The gateway's port: a free one when 0 or unset. */
  gatewayPort?: number;
  readyWithinMs?: number;
  /**
   * The compiled entry point a process runs: another release's `main.js`, to run two releases
   * side by side (a module of one beside the others of another); undefined for `start`'s own
   * (this build's).
   */
  entry?: (name: SplitProcess) => string | undefined;
  /**
   * What the gateway sends a module's requests to, given the module's process: that process by
   * default; something in front of several replicas of it (what a Kubernetes Service is).
   */
  upstream?: (module: BusinessModule, url: string) => string | Promise<string>;
  /**
   * Starts one process, running `entry` when given, and waits until it is ready (default: a
   * ManagedProcess).
   */
  start?: (name: SplitProcess, env: Record<string, string>, entry?: string) => Promise<P>;
  /** With the default `start`: where each process's output goes. */
  output?: (name: SplitProcess) => Output;
}

export interface SplitShape<P> {
  /** The gateway's URL: the API of the whole system. */
  url: string;
  gateway: Launched<P>;
  modules: Record<BusinessModule, Launched<P>>;
  /** Every process, the gateway first. */
  all(): P[];
}

/**
 * The split shape on one machine, as `npm run start:split`, the bench and the tests run it:
 * one process per module with TRANSPORT=nats on a free loopback port, started together, then
 * the gateway (MODULES=gateway) in front with GATEWAY_UPSTREAMS naming them (or what `upstream`
 * puts in front of them). Each runs this build, or the release `entry` names for it. If a
 * process does not come up, the ones already started are stopped before the error is thrown.
 */
export async function launchSplit<P extends { kill(): Promise<void> } = ManagedProcess>(
  options: SplitOptions<P>,
): Promise<SplitShape<P>> {
  const host = options.host ?? '127.0.0.1';
  const readyWithinMs = options.readyWithinMs ?? 60_000;
  const start =
    options.start ??
    (async (name: SplitProcess, env: Record<string, string>, entry?: string) => {
      const process = ManagedProcess.spawn({
        label: name,
        env,
        entry,
        output: options.output?.(name) ?? 'inherit',
      });
      try {
        await process.waitReady(`http://${host}:${env.PORT}/ready`, readyWithinMs);
      } catch (error) {
        await process.kill();
        throw error;
      }
      return process as unknown as P;
    });
  const upstream = options.upstream ?? ((_module: BusinessModule, url: string) => url);
  const common = { ...options.env, HOST: host, TRANSPORT: 'nats' };
  /** Starts `name` on `port`, or on a free port (`onFreePort`: chosen again if taken first). */
  const launch = (name: SplitProcess, base: Record<string, string>, port?: number) =>
    onFreePort(
      async (chosen) => {
        const env: Record<string, string> = { ...base, PORT: String(chosen) };
        const process = await start(name, env, options.entry?.(name));
        return { process, port: chosen, url: `http://${host}:${chosen}`, env };
      },
      { port, host },
    );
  const settled = await Promise.allSettled(
    BUSINESS_MODULES.map(async (module) =>
      launch(module, {
        ...common,
        // Their only client is the gateway, on this host: they take the client's address (the
        // rate limits' key) from the X-Forwarded-For it sets.
        TRUST_PROXY: host,
        MODULES: module,
      }),
    ),
  );
  const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  // Never leave half a system running.
  const stopAll = () => Promise.all(up.map((m) => m.process.kill()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const modules = Object.fromEntries(BUSINESS_MODULES.map((m, i) => [m, up[i]])) as Record<
    BusinessModule,
    Launched<P>
  >;
  const gateway = await (async () => {
    const upstreams = await Promise.all(
      BUSINESS_MODULES.map(async (m) => `${m}=${await upstream(m, modules[m].url)}`),
    );
    return launch(
      'gateway',
      {
        ...common,
        MODULES: 'gateway',
        GATEWAY_UPSTREAMS: upstreams.join(','),
      },
      options.gatewayPort || undefined,
    );
  })().catch(async (error: unknown) => {
    await stopAll();
    throw error;
  });
  return {
    url: gateway.url,
    gateway,
    modules,
    all: () => [gateway.process, ...BUSINESS_MODULES.map((m) => modules[m].process)],
  };
}
