import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './chart';
import { ROOT } from './paths';

/**
 * Validation against the Kubernetes API schemas as the npm package `kubernetes-models` carries
 * them (generated from the API's OpenAPI document): each kind's TypeScript interface and its
 * JSON-schema validator. The validator checks types, required fields and formats but lets
 * unknown fields through, so every object is also type-checked as an object literal of its
 * interface, where TypeScript refuses any field the API does not define (a misspelt probe,
 * `replica:` for `replicas:`). Kinds that are not part of the core API (the Prometheus
 * Operator's ServiceMonitor) are listed in `CUSTOM_KINDS` and checked by the tests themselves.
 */
const KINDS: Record<string, { module: string; type: string }> = {
  'apps/v1/Deployment': { module: 'apps/v1/Deployment', type: 'IDeployment' },
  'v1/Service': { module: 'v1/Service', type: 'IService' },
  'v1/ConfigMap': { module: 'v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { module: 'v1/Secret', type: 'ISecret' },
  'v1/ServiceAccount': { module: 'v1/ServiceAccount', type: 'IServiceAccount' },
  'v1/PersistentVolumeClaim': {
    module: 'v1/PersistentVolumeClaim',
    type: 'IPersistentVolumeClaim',
  },
  'v1/Pod': { module: 'v1/Pod', type: 'IPod' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    module: 'autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': {
    module: 'policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    module: 'networking.k8s.io/v1/NetworkPolicy',
    type: 'INetworkPolicy',
  },
  'networking.k8s.io/v1/Ingress': { module: 'networking.k8s.io/v1/Ingress', type: 'IIngress' },
};
export const CUSTOM_KINDS = new Set(['monitoring.coreos.com/v1/ServiceMonitor']);

const kindOf = (o: K8sObject) => `${String(o.apiVersion)}/${String(o.kind)}`;
const label = (o: K8sObject) => `${kindOf(o)} ${String(o.metadata?.name)}`;

/** Every problem found in `objects`, each naming the object; empty when all are valid. */
export async function validateObjects(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  const known = objects.filter((o) => {
    if (KINDS[kindOf(o)]) return true;
    if (!CUSTOM_KINDS.has(kindOf(o))) problems.push(`${label(o)}: a kind this test does not know`);
    return false;
  });
  problems.push(...typeCheck(known));
  for (const object of known) {
    const { module, type } = KINDS[kindOf(object)];
    const exports = (await importEsm(`kubernetes-models/${module}`)) as Record<
      string,
      new (data: unknown) => { validate(): void }
    >;
    const Model = exports[type.slice(1)];
    if (!Model) throw new Error(`kubernetes-models/${module} exports no ${type.slice(1)}`);
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${label(object)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

/** kubernetes-models ships ES modules only ("import" condition), which require() cannot load. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a real dynamic import from CommonJS
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

/** Type-checks each object as a literal of its kind's interface; TypeScript's messages. */
function typeCheck(objects: K8sObject[]): string[] {
  if (objects.length === 0) return [];
  const fileName = join(ROOT, '__rendered_objects__.ts');
  const used = [...new Set(objects.map(kindOf))];
  const lines = used.map((kind, i) => {
    const { module, type } = KINDS[kind];
    return `import type { ${type} as T${i} } from 'kubernetes-models/${module}';`;
  });
  const firstObjectLine = lines.length;
  for (const [i, object] of objects.entries()) {
    lines.push(`export const o${i}: T${used.indexOf(kindOf(object))} = ${JSON.stringify(object)};`);
  }
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, version)
      : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === fileName || d.file === undefined)
    .map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
      if (!d.file || d.start === undefined) return message;
      const line = d.file.getLineAndCharacterOfPosition(d.start).line;
      const object = objects[line - firstObjectLine];
      return object ? `${label(object)}: ${message}` : message;
    });
}
