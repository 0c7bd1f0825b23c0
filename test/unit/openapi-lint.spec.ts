import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../support/paths';

/**
 * openapi.json is judged by the ecosystem's linters, not by rules of ours: Redocly's recommended
 * ruleset, and Spectral with the OWASP API Security ruleset (and spectral:oas) as the committed
 * `.spectral.yaml` extends them. Any finding of any severity fails; the only rules turned off
 * are those `.spectral.yaml` turns off where they cannot apply, each with its reason.
 */
const run = promisify(execFile);
const cli = (...path: string[]) => join(ROOT, 'node_modules', ...path);
const scratch = mkdtempSync(join(tmpdir(), 'cleave-openapi-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Finding {
  rule: string;
  severity: string;
  where: string;
  message: string;
}

/** Runs a linter that exits non-zero on findings: its report is what counts, not its status. */
async function lint(args: string[]): Promise<void> {
  await run(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { code?: unknown }) => {
      if (typeof error.code !== 'number') throw error;
    },
  );
}

describe('openapi.json, judged by the ecosystem’s linters', () => {
  it('has no finding of Redocly’s recommended ruleset, error or warning', async () => {
    const args = [cli('@redocly', 'cli', 'bin', 'cli.js'), 'lint', 'openapi.json'];
    const { stdout } = await run(process.execPath, [...args, '--format=json'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const result = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number };
      problems: Array<{ ruleId: string; severity: string; message: string; location?: unknown }>;
    };
    const findings: Finding[] = result.problems.map((p) => ({
      rule: p.ruleId,
      severity: p.severity,
      where: JSON.stringify(p.location),
      message: p.message,
    }));
    expect(findings).toEqual([]);
    expect(result.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('has no finding of Spectral with the OWASP API Security ruleset, of any severity', async () => {
    const report = join(scratch, 'spectral.json');
    await lint([
      cli('@stoplight', 'spectral-cli', 'dist', 'index.js'),
      'lint',
      'openapi.json',
      '--ruleset',
      '.spectral.yaml',
      '--fail-severity',
      'hint',
      '--format',
      'json',
      '--output',
      report,
    ]);
    const results = JSON.parse(readFileSync(report, 'utf8')) as Array<{
      code: string;
      severity: number;
      path: Array<string | number>;
      message: string;
    }>;
    const findings: Finding[] = results.map((r) => ({
      rule: r.code,
      severity: ['error', 'warning', 'information', 'hint'][r.severity] ?? String(r.severity),
      where: r.path.join('.'),
      message: r.message,
    }));
    expect(findings).toEqual([]);
  });

  it('is checked against the committed ruleset, which extends the OWASP ruleset', () => {
    const ruleset = readFileSync(join(ROOT, '.spectral.yaml'), 'utf8');
    expect(ruleset).toContain('"@stoplight/spectral-owasp-ruleset"');
    expect(ruleset).toContain('spectral:oas');
  });
});
