import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { NODE_ARGS } from '../../src/launcher/managed-process';
import { ROOT } from '../support/paths';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const started = ['node', ...NODE_ARGS, 'dist/main.js'];

/**
 * cleave is started with the same Node options everywhere (NODE_ARGS: see why there): by
 * `npm start`, by the image's CMD, by the chart's command, and by every launcher (they read
 * NODE_ARGS itself). Nothing else may drift from it.
 */
describe('how Node runs cleave', () => {
  it('is the same in `npm start`, the image and the chart', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts.start).toBe(started.join(' '));
    const cmd = /^CMD (.+)$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(started);
    const command = /^\s+command: (\[.+\])$/m.exec(
      read('deploy/helm/cleave/templates/deployment.yaml'),
    )?.[1];
    expect(JSON.parse(command ?? 'null')).toEqual(started);
  });
});
