import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { MAIN } from '../../support/paths';

describe('start-up configuration', () => {
  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['USER_DATABASE_URL', 'mysql://db/x'],
    ['MODULES', 'auth,billing'],
  ]) {
    it(`refuses to start with a bad ${name} and names it`, () => {
      const result = spawnSync(process.execPath, [MAIN], {
        env: { PATH: process.env.PATH, [name]: value, DATA_DIR: '/nonexistent/never-used' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(name);
      expect(result.stderr).toContain('Invalid configuration');
    });
  }
});
