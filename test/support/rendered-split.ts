import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN } from './app';
import {
  byName,
  containerConstraints,
  containerEnv,
  type ContainerConstraints,
  type K8sObject,
  ofKind,
  renderOk,
  VALUE_SETS,
} from './chart';
import { dropNatsNamespace, natsNamespace } from './nats';
import { freePort } from './process';
import { availableServices, SERVICES } from './services';
import { prepareDatabases } from './databases';

/** One Deployment of the rendered chart, ready to run on this machine. */
export interface RenderedDeployment {
  name: string;
  /** The container's command, as rendered. */
  command: string[];
  /** Its environment as the kubelet builds it, with cluster host names mapped to loopback. */
  env: Record<string, string>;
  /** The loopback port standing in for its Service. */
  port: number;
  /** Its limits and identity (`resources.limits`, securityContext). */
  constraints: ContainerConstraints;
}

/**
 * The Deployment the default values render (every module in one, on embedded storage) with
 * `set` (e.g. ADMIN credentials for its Secret): as `helm install` with no values file gives it.
 */
export async function renderedOneProcess(
  set: Record<string, string> = {},
): Promise<RenderedDeployment> {
  const objects = renderOk(VALUE_SETS.default, set);
  const [deployment, ...others] = ofKind(objects, 'Deployment');
  if (!deployment || others.length > 0) throw new Error('the default values render one Deployment');
  return resolved(objects, deployment, {}, await freePort(), (value) => value);
}

function resolved(
  objects: K8sObject[],
  deployment: K8sObject,
  externalSecrets: Record<string, Record<string, string>>,
  port: number,
  toLoopback: (value: string) => string,
): RenderedDeployment {
  const env = containerEnv(objects, deployment, externalSecrets);
  return {
    name: deployment.metadata.name as string,
    command: deployment.spec.template.spec.containers[0].command as string[],
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, toLoopback(v)])),
    port,
    constraints: containerConstraints(deployment),
  };
}

/**
 * Renders `values-split.yaml` as an operator installs it: the Secret `cleave-credentials` it
 * names holds fresh stores on the real servers (users on PostgreSQL, orders on MongoDB when the
 * test server runs, else PostgreSQL; sessions on Redis) and a new signing key; NATS_NAMESPACE is
 * set so runs keep apart on the shared NATS. Each Deployment's environment is resolved from the
 * rendered ConfigMap and that Secret, and every cluster host name in it (the Services, `nats`) is
 * mapped to its loopback stand-in. Nothing else is changed: the gateway's upstreams, TRANSPORT,
 * MODULES and the rest are what the chart wrote.
 */
export async function renderedSplit(): Promise<{
  deployments: RenderedDeployment[];
  cleanup(): Promise<void>;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-chart-'));
  const stores = await prepareDatabases(
    availableServices().has('mongo') ? 'mongo' : 'postgres',
    dataDir,
  );
  const namespace = natsNamespace();
  const cleanup = async () => {
    await stores.cleanup();
    await dropNatsNamespace(SERVICES.nats, namespace).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const objects = renderOk(VALUE_SETS.split, { 'config.NATS_NAMESPACE': namespace });
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const credentials = {
      ...stores.env,
      AUTH_SIGNING_KEY: JSON.stringify(signingKey),
      // The public half, as values-split.yaml asks of the Secret: verifiers start without auth.
      AUTH_PUBLIC_KEYS: JSON.stringify({ keys: [{ ...signingKey, d: undefined }] }),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    };
    const nats = new URL(SERVICES.nats);
    const hosts = new Map<string, string>([['nats', `${nats.hostname}:${nats.port || 4222}`]]);
    const ports = new Map<string, number>();
    for (const service of ofKind(objects, 'Service')) {
      const port = await freePort();
      ports.set(service.metadata.name as string, port);
      hosts.set(service.metadata.name as string, `127.0.0.1:${port}`);
    }
    const toLoopback = (value: string) =>
      value.replace(/:\/\/([a-z0-9.-]+):(\d+)/g, (whole, host: string) =>
        hosts.has(host) ? `://${hosts.get(host)!}` : whole,
      );
    const deployments = ofKind(objects, 'Deployment').map((deployment) => {
      const service = byName(objects, 'Service', deployment.metadata.name as string);
      return resolved(
        objects,
        deployment,
        { 'cleave-credentials': credentials },
        ports.get(service.metadata.name as string)!,
        toLoopback,
      );
    });
    return { deployments, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * Starts what the chart rendered as a cluster would become ready: the modules together, then
 * the gateway (MODULES=gateway) in front of them. Resolves with the gateway.
 */
export async function startRendered<P>(
  deployments: RenderedDeployment[],
  start: (deployment: RenderedDeployment) => Promise<P>,
): Promise<P> {
  const isGateway = (d: RenderedDeployment) => d.env.MODULES === 'gateway';
  const gateway = deployments.find(isGateway);
  if (!gateway) throw new Error('the chart rendered no gateway Deployment');
  await Promise.all(deployments.filter((d) => !isGateway(d)).map(start));
  return start(gateway);
}
