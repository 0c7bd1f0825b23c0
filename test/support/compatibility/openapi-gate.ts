import openApiDiff from 'openapi-diff';
import type { Break, GateReport } from './breaks';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { type?: string; format?: string };
}
type Operations = Record<string, Record<string, { parameters?: Parameter[] }>>;
export interface OpenApi {
  paths: Operations;
  [key: string]: unknown;
}

/**
 * Compares this release's OpenAPI document with the previous release's with Atlassian's
 * openapi-diff, which classifies by what each side accepts (json-schema-diff): a route, method
 * or response status removed, a response that may now hold what it could not (a field removed
 * or retyped), a request that refuses what it took (a field newly required or retyped, and a
 * narrower constraint such as a new `maxLength`) are breaking. Its unclassified differences
 * count as breaking. It does not compare parameters; this does: a parameter removed, newly
 * required, or of another type.
 */
export async function compareOpenApi(previous: OpenApi, current: OpenApi): Promise<GateReport> {
  const outcome = await openApiDiff.diffSpecs({
    sourceSpec: { content: JSON.stringify(previous), location: 'previous', format: 'openapi3' },
    destinationSpec: { content: JSON.stringify(current), location: 'current', format: 'openapi3' },
  });
  const found = [
    ...(outcome.breakingDifferencesFound ? outcome.breakingDifferences : []),
    ...outcome.unclassifiedDifferences,
  ];
  const breaking: Break[] = found.map((d) => ({
    contract: 'openapi.json',
    at: [...d.sourceSpecEntityDetails, ...d.destinationSpecEntityDetails][0]?.location ?? '',
    what: d.type === 'unclassified' ? `${d.code} (unclassified)` : d.code,
  }));
  return {
    breaking: [...breaking, ...parameterBreaks(previous, current)],
    waived: [],
    nonBreaking: outcome.nonBreakingDifferences.length,
  };
}

function parameterBreaks(previous: OpenApi, current: OpenApi): Break[] {
  const breaks: Break[] = [];
  const found = (at: string, what: string) => breaks.push({ contract: 'openapi.json', at, what });
  for (const [path, methods] of Object.entries(current.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const before = previous.paths[path]?.[method]?.parameters;
      if (!before) continue; // a new route, or one whose removal openapi-diff reports
      const now = operation.parameters ?? [];
      const where = (p: Parameter) => `paths.${path}.${method}.parameters.${p.in}.${p.name}`;
      for (const old of before) {
        const same = now.find((p) => p.name === old.name && p.in === old.in);
        if (!same) found(where(old), 'parameter.remove');
        else if (same.required && !old.required) found(where(old), 'parameter.required');
        else if (
          same.schema?.type !== old.schema?.type ||
          same.schema?.format !== old.schema?.format
        ) {
          found(where(old), 'parameter.retype');
        }
      }
      for (const added of now.filter((p) => p.required)) {
        if (!before.some((p) => p.name === added.name && p.in === added.in)) {
          found(where(added), 'parameter.add-required');
        }
      }
    }
  }
  return breaks;
}
