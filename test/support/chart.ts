import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './paths';

export const CHART = join(ROOT, 'deploy', 'helm', 'cleave');

/** Every values file the chart ships: none (the defaults), the split shape, each example. */
export const VALUE_SETS: Record<string, string[]> = {
  default: [],
  split: [join(CHART, 'values-split.yaml')],
  ...Object.fromEntries(
    readdirSync(join(CHART, 'examples'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [`examples/${f}`, [join(CHART, 'examples', f)]]),
  ),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes objects of every kind
export type K8sObject = any;

export function helm(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('helm', args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const valueArgs = (files: string[], set: Record<string, string>) => [
  ...files.flatMap((f) => ['-f', f]),
  ...Object.entries(set).flatMap(([k, v]) => ['--set-string', `${k}=${v}`]),
];

/** `helm template` of the chart; its objects, or the reason it refused. */
export function render(
  files: string[] = [],
  set: Record<string, string> = {},
  extra: string[] = [],
): { objects: K8sObject[]; error?: string } {
  const result = helm(['template', 'cleave', CHART, ...valueArgs(files, set), ...extra]);
  if (result.status !== 0) return { objects: [], error: result.stderr };
  const objects = parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML rendered: ${doc.errors[0].message}`);
      return doc.toJS({ maxAliasCount: -1 });
    })
    .filter((o): o is K8sObject => o !== null);
  return { objects };
}

/** `render` that must succeed. */
export function renderOk(files: string[] = [], set: Record<string, string> = {}): K8sObject[] {
  const { objects, error } = render(files, set);
  if (error !== undefined) throw new Error(`helm template refused:\n${error}`);
  return objects;
}

export const ofKind = (objects: K8sObject[], kind: string): K8sObject[] =>
  objects.filter((o) => o.kind === kind);

export function byName(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found;
}

/**
 * The environment a Deployment's container starts with, as the kubelet would build it: the
 * ConfigMaps of `envFrom`, then `env` (values, and `secretKeyRef`s resolved from the rendered
 * Secrets or from `externalSecrets`, a Secret made outside the chart). Missing optional keys are
 * left out; a missing required one throws.
 */
export function containerEnv(
  objects: K8sObject[],
  deployment: K8sObject,
  externalSecrets: Record<string, Record<string, string>> = {},
): Record<string, string> {
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef)
      Object.assign(env, byName(objects, 'ConfigMap', from.configMapRef.name).data);
    if (from.secretRef)
      Object.assign(env, secretData(objects, externalSecrets, from.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    if ('value' in variable) {
      env[variable.name] = String(variable.value);
      continue;
    }
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (!ref) throw new Error(`${variable.name}: an env source the test cannot resolve`);
    const source = variable.valueFrom.secretKeyRef
      ? secretData(objects, externalSecrets, ref.name)
      : byName(objects, 'ConfigMap', ref.name).data;
    if (source[ref.key] !== undefined) env[variable.name] = source[ref.key];
    else if (!ref.optional) throw new Error(`${variable.name}: ${ref.name} has no key ${ref.key}`);
  }
  return env;
}

function secretData(
  objects: K8sObject[],
  external: Record<string, Record<string, string>>,
  name: string,
): Record<string, string> {
  if (external[name]) return external[name];
  const secret = byName(objects, 'Secret', name);
  const decoded = Object.fromEntries(
    Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
  return { ...decoded, ...(secret.stringData ?? {}) };
}

/** What a rendered container is held to: its limits and who it runs as. */
export interface ContainerConstraints {
  /** `resources.limits.memory` in bytes. */
  memoryBytes?: number;
  /** `resources.limits.cpu` in cores. */
  cpus?: number;
  /** `uid:gid` from the pod's and the container's securityContext. */
  user?: string;
  readOnlyRootFilesystem: boolean;
}

/** The constraints `deployment`'s container declares, as the kubelet would apply them. */
export function containerConstraints(deployment: K8sObject): ContainerConstraints {
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const limits = (container.resources?.limits ?? {}) as Record<string, string | number>;
  const security = { ...pod.securityContext, ...container.securityContext } as {
    runAsUser?: number;
    runAsGroup?: number;
    readOnlyRootFilesystem?: boolean;
  };
  return {
    ...(limits.memory !== undefined && { memoryBytes: quantityBytes(limits.memory) }),
    ...(limits.cpu !== undefined && { cpus: quantityCores(limits.cpu) }),
    ...(security.runAsUser !== undefined && {
      user: `${security.runAsUser}:${security.runAsGroup ?? security.runAsUser}`,
    }),
    readOnlyRootFilesystem: security.readOnlyRootFilesystem === true,
  };
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity (`512Mi`, `1G`, `1048576`) in bytes. */
export function quantityBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]i|[kMGT])?$/.exec(String(quantity));
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = match[2] ?? '';
  return Math.round(Number(match[1]) * (BINARY[unit] ?? DECIMAL[unit] ?? 1));
}

/** A Kubernetes CPU quantity (`1`, `500m`, `1.5`) in cores. */
export function quantityCores(quantity: string | number): number {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}
