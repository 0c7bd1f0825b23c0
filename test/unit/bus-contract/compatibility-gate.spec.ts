import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DiagnosticSeverity } from '@asyncapi/parser';
import { asyncApiProblems } from '../../support/compatibility/asyncapi-problems';
import { compareAsyncApi } from '../../support/compatibility/asyncapi-gate';
import { acceptedBreaks, applyAccepted, describeBreaks } from '../../support/compatibility/breaks';
import type { Json } from '../../support/compatibility/normalize';
import { compareOpenApi, type OpenApi } from '../../support/compatibility/openapi-gate';
import {
  PREVIOUS,
  previousAsyncApi,
  previousOpenApi,
} from '../../support/compatibility/previous-release';
import { ROOT } from '../../support/paths';

const current = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Json;

describe(`the compatibility gate against the previous release (${PREVIOUS.version})`, () => {
  it('finds no breaking change in asyncapi.json but those accepted in releases/accepted.json', async () => {
    const previous = previousAsyncApi();
    expect(await asyncApiProblems(previous, [DiagnosticSeverity.Error])).toEqual([]);
    const report = applyAccepted(
      compareAsyncApi(previous, current('asyncapi.json')),
      acceptedBreaks(PREVIOUS.version).filter((a) => a.contract === 'asyncapi.json'),
    );
    expect(describeBreaks(report.breaking)).toBe('');
    expect(report.unused).toEqual([]);
  });

  it('finds no breaking change in openapi.json but those accepted in releases/accepted.json', async () => {
    const report = applyAccepted(
      await compareOpenApi(previousOpenApi(), current('openapi.json') as OpenApi),
      acceptedBreaks(PREVIOUS.version).filter((a) => a.contract === 'openapi.json'),
    );
    expect(describeBreaks(report.breaking)).toBe('');
    expect(report.unused).toEqual([]);
  });
});
