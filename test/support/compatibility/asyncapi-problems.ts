import { DiagnosticSeverity, Parser } from '@asyncapi/parser';

/**
 * What @asyncapi/parser (its schema validation and Spectral's AsyncAPI rules) finds in a
 * document, as lines, at the severities that count: errors, and warnings unless told otherwise.
 */
export async function asyncApiProblems(
  document: unknown,
  counted: readonly DiagnosticSeverity[] = [DiagnosticSeverity.Error, DiagnosticSeverity.Warning],
): Promise<string[]> {
  const diagnostics = await new Parser().validate(JSON.stringify(document));
  return diagnostics
    .filter((d) => counted.includes(d.severity))
    .map(
      (d) => `${DiagnosticSeverity[d.severity]} ${d.code}: ${d.message} at /${d.path.join('/')}`,
    );
}
