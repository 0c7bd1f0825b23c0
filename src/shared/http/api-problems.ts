import { ApiResponse } from '@nestjs/swagger';
import { DomainError } from '../kernel/domain-error';
import { FieldError, Problem, PROBLEM_CONTENT_TYPE, problem } from './problem';
import { STATUS } from './problem.filter';

export const PROBLEM_SCHEMA_REF = '#/components/schemas/Problem';

const EXAMPLE_REQUEST_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** A problem as the server answers it, for a document's examples. */
export function problemExample(
  status: number,
  detail: string,
  extra: { code: string; instance?: string; errors?: FieldError[] },
): Problem {
  return problem(status, detail, { requestId: EXAMPLE_REQUEST_ID, ...extra });
}

/** The `content` of a problem answer: the Problem schema, with one example per problem. */
export function problemContent(examples: Problem[]) {
  return {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: PROBLEM_SCHEMA_REF },
      examples: Object.fromEntries(
        examples.map((example) => [
          example.code ?? String(example.status),
          { summary: example.detail, value: example },
        ]),
      ),
    },
  };
}

/**
 * Documents a route's own problem answer (403, 404, 409, 422, or a 401 or 429 of its own) from the domain errors it throws: the status is the
 * one the exception filter gives their kind, the examples are their codes and messages.
 */
export function ApiProblem(
  description: string,
  ...errors: [DomainError, ...DomainError[]]
): MethodDecorator & ClassDecorator {
  const status = STATUS[errors[0].kind];
  if (errors.some((e) => STATUS[e.kind] !== status)) {
    throw new Error(`ApiProblem: ${errors.map((e) => e.code).join(', ')} differ in status`);
  }
  return ApiResponse({
    status,
    description,
    content: problemContent(
      // `instance` is the operation's path: completeOpenApi writes it in.
      errors.map((e) => problemExample(status, e.message, { code: e.code, instance: '/api' })),
    ),
  });
}
