import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const root = process.cwd();
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string): { status: number | null; output: string } {
  const result = spawnSync(depcruise, ['src', '--config', config, '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('module boundaries', () => {
  it('hold in src: modules import only contracts, shared imports no module and only its lower layers, no cycles', () => {
    const { status, output } = cruise(root);
    expect(output).toContain('no dependency violations found');
    expect(status).toBe(0);
  });

  it('are enforced: each kind of violation in a fixture tree is reported', () => {
    const { status, output } = cruise(join(root, 'test', 'fixtures', 'boundaries'));
    expect(status).not.toBe(0);
    expect(output).toMatch(/module-internals.*alpha\/alpha\.service\.ts.*beta\/beta\.service\.ts/s);
    expect(output).not.toMatch(/module-internals[^\n]*beta\.contract/);
    expect(output).toMatch(/shared-imports-no-module.*shared\/helper\.ts/s);
    expect(output).toMatch(/no-cycles.*cycle-a\.ts/s);
    // shared/ in layers: the platform does not import the edge, the kernel imports nothing.
    expect(output).toMatch(
      /shared-layers: src\/shared\/bus\/upward\.ts → src\/shared\/http\/edge\.ts/,
    );
    expect(output).toMatch(
      /shared-kernel-imports-nothing: src\/shared\/kernel\/not-bottom\.ts → src\/shared\/bus\/upward\.ts/,
    );
  });
});
