import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { describeOrSkip } from '../../support/skip';
import { parse, stringify } from 'yaml';
import {
  byName,
  CHART,
  containerEnv,
  helm,
  K8sObject,
  ofKind,
  quantityBytes,
  render,
  renderOk,
  VALUE_SETS,
} from '../../support/chart';
import { MEMORY_NEEDS_MIB } from '../../../src/memory-check';
import { ROOT } from '../../support/paths';
import { MODULE_REGISTRY } from '../../../src/shared/modules/registry';
import { CUSTOM_KINDS, validateObjects } from '../../support/kubernetes';
import { availableServices } from '../../support/services';

jest.setTimeout(300_000);

const skip = availableServices().has('helm')
  ? false
  : 'no helm on PATH (see the [skip] line above)';
const split = VALUE_SETS.split;
/** Inline credentials for the shapes that need them, as an operator would pass them. */
const CREDENTIALS = {
  'secrets.AUTH_SIGNING_KEY': 'a-private-jwk',
  'secrets.AUTH_REDIS_URL': 'redis://redis:6379/0',
};

const deploymentsOf = (objects: K8sObject[]) => ofKind(objects, 'Deployment');
const podLabels = (d: K8sObject) => d.spec.template.metadata.labels as Record<string, string>;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const envValue = (d: K8sObject, name: string) =>
  (d.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>).find(
    (e) => e.name === name,
  )?.value;

/**
 * A Deployment's memory limit holds the measured peak of its shape (memory-check.ts, README
 * "Memory") with at least 20 % to spare, its request is no more than its limit, and where the
 * embedded Postgres lives outside Node's heap the heap gets a smaller share of the limit.
 */
function expectMemoryForItsShape(deployment: K8sObject): void {
  const { requests, limits } = deployment.spec.template.spec.containers[0].resources as Record<
    string,
    { memory: string }
  >;
  const modules = (envValue(deployment, 'MODULES') ?? '').split(',');
  const names = (deployment.spec.template.spec.containers[0].env as Array<{ name: string }>).map(
    (e) => e.name,
  );
  const embedded = (['user', 'order'] as const).some(
    (m) => modules.includes(m) && !names.includes(MODULE_REGISTRY[m].databaseVariable),
  );
  const kind = embedded ? 'embedded' : modules.includes('gateway') ? 'gateway' : 'servers';
  const peakMiB = MEMORY_NEEDS_MIB[kind].peak;
  const name = deployment.metadata.name as string;
  const limitMiB = quantityBytes(limits.memory) / 2 ** 20;
  expect({ name, limitMiB, holdsPeak: limitMiB >= peakMiB * 1.2 }).toEqual({
    name,
    limitMiB,
    holdsPeak: true,
  });
  expect(quantityBytes(requests.memory)).toBeLessThanOrEqual(quantityBytes(limits.memory));
  expect(envValue(deployment, 'NODE_OPTIONS')).toBe(
    embedded ? '--max-old-space-size-percentage=35' : undefined,
  );
}

describeOrSkip('the Helm chart', skip, () => {
  it('carries the package version as version and appVersion', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect({ version: chart.version, appVersion: chart.appVersion }).toEqual({
      version: pkg.version,
      appVersion: pkg.version,
    });
  });

  for (const [name, files] of Object.entries(VALUE_SETS)) {
    describe(`values: ${name}`, () => {
      it('passes helm lint --strict without a warning', () => {
        const lint = helm(['lint', '--strict', CHART, ...files.flatMap((f) => ['-f', f])]);
        expect({
          status: lint.status,
          problems: lint.stdout.match(/\[(WARNING|ERROR)\].*/g),
        }).toEqual({
          status: 0,
          problems: null,
        });
      });

      it('renders objects that validate against the Kubernetes API schemas', async () => {
        const objects = renderOk(files);
        expect(await validateObjects(objects)).toEqual([]);
        for (const monitor of objects.filter((o) =>
          CUSTOM_KINDS.has(`${String(o.apiVersion)}/${String(o.kind)}`),
        )) {
          expect(Object.keys(monitor.spec as object).sort()).toEqual(['endpoints', 'selector']);
          expect(monitor.spec.endpoints).toEqual([
            expect.objectContaining({ port: 'http', path: '/metrics' }),
          ]);
        }
      });

      it('gives every container both probes, resources and the restricted security context', () => {
        const objects = renderOk(files);
        const config = ofKind(objects, 'ConfigMap').find((c) =>
          c.metadata.name.endsWith('-config'),
        );
        const graceNeeded =
          (Number(config.data.SHUTDOWN_DRAIN_MS) + Number(config.data.SHUTDOWN_TIMEOUT_MS)) / 1000;
        for (const deployment of deploymentsOf(objects)) {
          const pod = deployment.spec.template.spec;
          expect(pod.securityContext).toMatchObject({
            runAsNonRoot: true,
            runAsUser: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          });
          expect(pod.automountServiceAccountToken).toBe(false);
          expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(graceNeeded);
          expect(pod.topologySpreadConstraints).toEqual([
            expect.objectContaining({
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
            }),
          ]);
          expect(Object.keys(deployment.spec.template.metadata.annotations).sort()).toEqual([
            'checksum/config',
            'checksum/secret',
          ]);
          for (const container of pod.containers) {
            expect(container.livenessProbe).toEqual({
              httpGet: { path: '/health', port: 'http' },
              initialDelaySeconds: 10,
              periodSeconds: 15,
              timeoutSeconds: 5,
              failureThreshold: 3,
            });
            expect(container.readinessProbe).toEqual({
              httpGet: { path: '/ready', port: 'http' },
              initialDelaySeconds: 5,
              periodSeconds: 10,
              timeoutSeconds: 5,
              failureThreshold: 3,
            });
            // A first start with migrations gets minutes before liveness may kill it.
            expect(
              container.startupProbe.periodSeconds * container.startupProbe.failureThreshold,
            ).toBeGreaterThanOrEqual(120);
            expect(container.resources.requests).toEqual(
              expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
            );
            expect(container.resources.limits).toEqual(
              expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
            );
            expectMemoryForItsShape(deployment);
            expect(container.securityContext).toEqual({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              runAsUser: 1000,
              capabilities: { drop: ['ALL'] },
            });
            // The root filesystem is read-only: DATA_DIR is the one writable mount.
            expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
            expect(envValue(deployment, 'DATA_DIR')).toBe('/data');
          }
        }
      });

      it('has HPAs of 2..20 at 70 % CPU unless told otherwise, and PDBs with one field', () => {
        const objects = renderOk(files);
        const values = files.map((f) => readFileSync(f, 'utf8')).join('\n');
        for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
          const target = byName(objects, 'Deployment', hpa.spec.scaleTargetRef.name);
          expect(target.spec.replicas).toBeUndefined();
          if (/minReplicas|maxReplicas/.test(values)) continue; // an example that sets its own
          expect({
            min: hpa.spec.minReplicas,
            max: hpa.spec.maxReplicas,
            metrics: hpa.spec.metrics,
          }).toEqual({
            min: 2,
            max: 20,
            metrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
              },
            ],
          });
        }
        for (const pdb of ofKind(objects, 'PodDisruptionBudget')) {
          const fields = ['minAvailable', 'maxUnavailable'].filter((f) => f in pdb.spec);
          expect(fields).toHaveLength(1);
        }
      });

      it('selects what it means: selectors match pod labels, Services target a declared port', () => {
        const objects = renderOk(files);
        const deployments = deploymentsOf(objects);
        for (const deployment of deployments) {
          expect(matches(deployment.spec.selector.matchLabels, podLabels(deployment))).toBe(true);
        }
        const selecting = (selector: Record<string, string>) =>
          deployments.filter((d) => matches(selector, podLabels(d)));
        for (const service of ofKind(objects, 'Service')) {
          const [target, ...others] = selecting(service.spec.selector);
          expect({ service: service.metadata.name, others: others.length }).toEqual({
            service: service.metadata.name,
            others: 0,
          });
          const ports = target.spec.template.spec.containers.flatMap(
            (c: K8sObject) => c.ports as Array<{ name: string; containerPort: number }>,
          );
          for (const port of service.spec.ports) {
            expect(
              ports.some(
                (p: K8sObject) => p.name === port.targetPort || p.containerPort === port.targetPort,
              ),
            ).toBe(true);
          }
        }
        for (const kind of ['PodDisruptionBudget', 'NetworkPolicy']) {
          for (const object of ofKind(objects, kind)) {
            const selector =
              kind === 'NetworkPolicy' ? object.spec.podSelector : object.spec.selector;
            expect(selecting(selector.matchLabels)).toHaveLength(1);
          }
        }
        for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
          expect(deployments.map((d) => d.metadata.name)).toContain(hpa.spec.scaleTargetRef.name);
        }
        const serviceNames = ofKind(objects, 'Service').map((s) => s.metadata.name);
        for (const ingress of ofKind(objects, 'Ingress')) {
          for (const rule of ingress.spec.rules) {
            for (const path of rule.http.paths) {
              expect(serviceNames).toContain(path.backend.service.name);
            }
          }
        }
      });

      it('labels every object with the standard app.kubernetes.io labels', () => {
        for (const object of renderOk(files)) {
          expect(object.metadata.labels).toMatchObject({
            'app.kubernetes.io/name': 'cleave',
            'app.kubernetes.io/instance': 'cleave',
            'app.kubernetes.io/version': expect.any(String),
            'app.kubernetes.io/managed-by': 'Helm',
          });
        }
      });
    });
  }

  it('by default: one Deployment serving every module in process, embedded data on a kept volume', () => {
    const objects = renderOk();
    const [app, ...others] = deploymentsOf(objects);
    expect(others).toHaveLength(0);
    expect(envValue(app, 'MODULES')).toBe('auth,user,order');
    expect(byName(objects, 'ConfigMap', 'cleave-config').data.TRANSPORT).toBe('local');
    expect(app.spec.replicas).toBe(1);
    expect(app.spec.strategy).toEqual({ type: 'Recreate' });
    const claim = byName(objects, 'PersistentVolumeClaim', 'cleave-app-data');
    expect(claim.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    expect(app.spec.template.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'cleave-app-data' } },
    ]);
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toHaveLength(0);
  });

  it('split: the gateway and one Deployment per module on NATS, upstreams at their Services', () => {
    const objects = renderOk(split);
    const deployments = Object.fromEntries(
      deploymentsOf(objects).map((d) => [d.metadata.name, envValue(d, 'MODULES')]),
    );
    expect(deployments).toEqual({
      'cleave-gateway': 'gateway',
      'cleave-auth': 'auth',
      'cleave-user': 'user',
      'cleave-order': 'order',
    });
    expect(byName(objects, 'ConfigMap', 'cleave-config').data.TRANSPORT).toBe('nats');
    // The rollout releases-rolling.e2e-spec.ts proves under load (test/support/deployment.ts).
    for (const deployment of deploymentsOf(objects)) {
      expect(deployment.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      });
    }
    const gateway = byName(objects, 'Deployment', 'cleave-gateway');
    expect(envValue(gateway, 'GATEWAY_UPSTREAMS')).toBe(
      'auth=http://cleave-auth:80,user=http://cleave-user:80,order=http://cleave-order:80',
    );
    // Each module reads only its own credentials, from the Secret made elsewhere.
    const secretKeys = (name: string) =>
      (byName(objects, 'Deployment', name).spec.template.spec.containers[0].env as K8sObject[])
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => `${e.valueFrom.secretKeyRef.name}/${e.name}`);
    expect(secretKeys('cleave-gateway')).toEqual([]);
    expect(secretKeys('cleave-auth')).toEqual([
      'cleave-credentials/AUTH_SIGNING_KEY',
      'cleave-credentials/AUTH_REDIS_URL',
    ]);
    // The verifying modules may be handed the public keys (optional: fetched at start otherwise).
    expect(secretKeys('cleave-order')).toEqual([
      'cleave-credentials/ORDER_DATABASE_URL',
      'cleave-credentials/AUTH_PUBLIC_KEYS',
    ]);
    expect(secretKeys('cleave-user')).toContain('cleave-credentials/AUTH_PUBLIC_KEYS');
    expect(ofKind(objects, 'Secret')).toHaveLength(0);
    expect(ofKind(objects, 'PersistentVolumeClaim')).toHaveLength(0);
    // The chart's modules and store variables are the registry's.
    for (const [module, descriptor] of Object.entries(MODULE_REGISTRY)) {
      expect(secretKeys(`cleave-${module}`)).toContain(
        `cleave-credentials/${descriptor.databaseVariable}`,
      );
    }
  });

  it('split: only the gateway reaches the modules; egress only to DNS, NATS and the own store', () => {
    const objects = renderOk(split);
    const gatewayPods = byName(objects, 'Deployment', 'cleave-gateway').spec.selector.matchLabels;
    const ports = (rules: K8sObject[]) =>
      rules.flatMap((r: K8sObject) => r.ports.map((p: K8sObject) => p.port as number)).sort();
    for (const module of ['auth', 'user', 'order']) {
      const policy = byName(objects, 'NetworkPolicy', `cleave-${module}`);
      expect(policy.spec.ingress).toEqual([
        {
          ports: [{ port: 'http', protocol: 'TCP' }],
          from: [{ podSelector: { matchLabels: gatewayPods } }],
        },
      ]);
      const store = { auth: [6379], user: [5432], order: [5432, 27017] }[module]!;
      expect(ports(policy.spec.egress)).toEqual([...store, 4222, 53, 53].sort());
    }
    const gateway = byName(objects, 'NetworkPolicy', 'cleave-gateway');
    expect(gateway.spec.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
    expect(ports(gateway.spec.egress)).toEqual([3000, 3000, 3000, 4222, 53, 53]);
  });

  it('hands the verifying modules the public half of the signing key, never the private one', () => {
    const key = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    // A values file: `--set` reads braces and commas in JSON as lists.
    const values = join(mkdtempSync(join(tmpdir(), 'cleave-chart-')), 'key.yaml');
    writeFileSync(values, stringify({ secrets: { AUTH_SIGNING_KEY: JSON.stringify(key) } }));
    const objects = renderOk([...VALUE_SETS['examples/split-inline-secrets.yaml'], values]);
    const secret = ofKind(objects, 'Secret')[0];
    const published = JSON.parse(secret.stringData.AUTH_PUBLIC_KEYS as string) as {
      keys: Array<Record<string, string>>;
    };
    expect(published).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: key.x }] });
    for (const name of ['cleave-user', 'cleave-order']) {
      const env = containerEnv(objects, byName(objects, 'Deployment', name));
      expect(JSON.parse(env.AUTH_PUBLIC_KEYS)).toEqual(published);
      expect(env.AUTH_SIGNING_KEY).toBeUndefined();
    }
  });

  it('rolls the pods when a setting or a credential changes', () => {
    const checksums = (objects: K8sObject[]) =>
      deploymentsOf(objects)[0].spec.template.metadata.annotations as Record<string, string>;
    const base = checksums(renderOk());
    const config = checksums(renderOk([], { 'config.LOG_LEVEL': 'debug' }));
    const secret = checksums(renderOk([], { 'secrets.AUTH_REDIS_URL': 'redis://r:6379' }));
    expect(config['checksum/config']).not.toBe(base['checksum/config']);
    expect(config['checksum/secret']).toBe(base['checksum/secret']);
    expect(secret['checksum/secret']).not.toBe(base['checksum/secret']);
  });

  it('renders the dashboard, the ServiceMonitor and the Ingress when asked', () => {
    const objects = renderOk(VALUE_SETS['examples/one-deployment-production.yaml']);
    const dashboard = ofKind(objects, 'ConfigMap').find((c) =>
      c.metadata.name.endsWith('-dashboard'),
    );
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(dashboard.data['cleave.json'] as string)).toEqual(
      JSON.parse(readFileSync(join(CHART, 'dashboards', 'cleave.json'), 'utf8')),
    );
    expect(ofKind(objects, 'ServiceMonitor')).toHaveLength(1);
    const ingress = ofKind(objects, 'Ingress')[0];
    expect(ingress.spec.rules[0].http.paths[0].backend.service.name).toBe('cleave-app');
  });

  it('has a helm test that checks /ready through the front Service', () => {
    for (const [files, front] of [
      [[], 'cleave-app'],
      [split, 'cleave-gateway'],
    ] as const) {
      const pod = ofKind(renderOk([...files]), 'Pod')[0];
      expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
      expect(pod.spec.containers[0].command.join(' ')).toContain(`http://${front}:80/ready`);
    }
  });

  it('tells in NOTES.txt which shape was installed and how to reach the API', () => {
    const notes = (files: string[]) => {
      const install = helm([
        'install',
        'demo',
        CHART,
        '--dry-run=client',
        ...files.flatMap((f) => ['-f', f]),
      ]);
      expect(install.status).toBe(0);
      return install.stdout.slice(install.stdout.indexOf('NOTES:'));
    };
    expect(notes([])).toMatch(/Shape: ONE Deployment \(demo-cleave-app\) serving every module/);
    expect(notes([])).toContain('port-forward service/demo-cleave-app 3000:80');
    const split = notes(VALUE_SETS.split);
    expect(split).toMatch(/Shape: SPLIT, one Deployment per module on NATS/);
    expect(split).toContain('demo-cleave-order: modules order, 2..20 replicas (HPA at 70 % CPU)');
    expect(split).toContain('port-forward service/demo-cleave-gateway 3000:80');
  });

  it('resolves the environment of a rendered Deployment like the kubelet', () => {
    const objects = renderOk([], { 'secrets.USER_DATABASE_URL': 'postgres://u@db:5432/cleave' });
    const env = containerEnv(objects, deploymentsOf(objects)[0]);
    expect(env).toMatchObject({
      MODULES: 'auth,user,order',
      TRANSPORT: 'local',
      NODE_ENV: 'production',
      USER_DATABASE_URL: 'postgres://u@db:5432/cleave',
    });
    expect(env.ORDER_DATABASE_URL).toBeUndefined();
  });

  describe('refuses values that cannot work, naming the value', () => {
    const refusals: Array<[string, string[], Record<string, string>, RegExp]> = [
      [
        'an unknown top-level key',
        [],
        { replica: '3' },
        /additional properties 'replica' not allowed/,
      ],
      [
        'an unknown key in a deployment',
        [],
        { 'deployments.app.modules[0]': 'auth', 'deployments.app.replica': '2' },
        /deployments\/app.*additional properties 'replica'/s,
      ],
      [
        'a module that does not exist',
        [],
        { 'deployments.app.modules[0]': 'billing' },
        /deployments\/app\/modules\/0/,
      ],
      [
        'a credential in the ConfigMap',
        [],
        { 'config.AUTH_REDIS_URL': 'redis://r' },
        /invalid propertyName 'AUTH_REDIS_URL'/,
      ],
      [
        'a store URL of the wrong kind',
        [],
        { 'secrets.USER_DATABASE_URL': 'mysql://x' },
        /secrets\/USER_DATABASE_URL/,
      ],
      [
        'embedded storage with more than one replica',
        [],
        { 'defaults.replicas': '3', ...CREDENTIALS },
        /deployments\.app: embedded storage .*secrets\.USER_DATABASE_URL/,
      ],
      [
        'embedded storage with autoscaling',
        [],
        { 'defaults.autoscaling.enabled': 'true', ...CREDENTIALS },
        /deployments\.app: embedded storage/,
      ],
      [
        'more than one replica without a signing key and Redis',
        [],
        {
          'defaults.replicas': '2',
          'secrets.USER_DATABASE_URL': 'postgres://db/x',
          'secrets.ORDER_DATABASE_URL': 'postgres://db/x',
        },
        /secrets\.AUTH_SIGNING_KEY: required when a Deployment runs more than one replica(.|\n)*secrets\.AUTH_REDIS_URL/,
      ],
      [
        'a split without a signing key and Redis',
        split,
        { existingSecret: '' },
        /secrets\.AUTH_SIGNING_KEY: required when the modules are split/,
      ],
      [
        'a module served by two Deployments',
        split,
        { 'deployments.user.modules[0]': 'order' },
        /deployments\.user\.modules: order is already served by deployments\.order|deployments\.order\.modules: order is already served by deployments\.user/,
      ],
      [
        'a module served by none',
        split,
        { 'deployments.order.modules[0]': 'gateway' },
        /no Deployment serves the order module/,
      ],
      [
        'the gateway beside a module',
        split,
        { 'deployments.gateway.modules[1]': 'auth' },
        /deployments\.gateway\.modules: the gateway runs alone/,
      ],
      [
        'a split without a gateway',
        [],
        { 'deployments.a.modules': '{auth}', 'deployments.b.modules': '{user,order}' },
        /deployments: a split needs a gateway Deployment/,
      ],
      [
        'both PDB fields',
        [],
        { 'defaults.pdb.minAvailable': '1', 'defaults.pdb.maxUnavailable': '1' },
        /deployments\.app\.pdb: set minAvailable or maxUnavailable, not both/,
      ],
      [
        'a grace period shorter than drain and timeout',
        [],
        { 'defaults.terminationGracePeriodSeconds': '20' },
        /deployments\.app\.terminationGracePeriodSeconds: 20 s does not cover/,
      ],
      [
        'autoscaling with minReplicas above maxReplicas',
        split,
        { 'deployments.order.autoscaling.minReplicas': '30' },
        /deployments\.order\.autoscaling: minReplicas \(30\) is above maxReplicas \(20\)/,
      ],
      [
        'an admin e-mail without a password',
        [],
        { 'secrets.ADMIN_EMAIL': 'a@b.c' },
        /secrets\.ADMIN_PASSWORD/,
      ],
      ['an image digest that is not one', [], { 'image.digest': 'latest' }, /image\/digest/],
    ];
    for (const [what, files, set, message] of refusals) {
      it(what, () => {
        // --set-string makes every value a string; the schema's integers need --set.
        const typed = Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
        const { error, objects } = render(files, {}, typed);
        expect({ refused: error !== undefined, rendered: objects.length }).toEqual({
          refused: true,
          rendered: 0,
        });
        expect(error).toMatch(message);
      });
    }
  });

  it('the validation catches an invalid field (the check can fail)', async () => {
    const [deployment] = deploymentsOf(renderOk());
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].livenesProbe = {
      httpGet: { path: '/health', port: 3000 },
    };
    const misnamed = structuredClone(deployment);
    misnamed.spec.replica = 2;
    expect(await validateObjects([broken, misnamed])).toEqual([
      expect.stringMatching(/cleave-app: .*'"livenesProbe"' does not exist in type 'IContainer'/),
      expect.stringMatching(/cleave-app: .*'"replica"' does not exist in type 'IDeploymentSpec'/),
    ]);
    const wrongType = structuredClone(deployment);
    wrongType.spec.replicas = 'two';
    expect((await validateObjects([wrongType])).join('\n')).toMatch(/replicas/);
  });
});
