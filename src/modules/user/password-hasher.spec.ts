import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../shared/config/config';
import { PasswordHasher } from './password-hasher';

/** Made by the `argon2` package (argon2id, m=19456, t=2, p=1) that @node-rs/argon2 replaced. */
const EARLIER_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$IO7DomL8opT+lKWvfzLqtw$dW2hIfq+QeqtkZuN7tJalQdg0tuyC0XGKQiKX0iPU3k';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(loadConfig({}).passwords);

  it('hashes with argon2id at m=19456 KiB, t=2, p=1, and verifies only the right password', async () => {
    const hash = await hasher.hash('correct-horse-1');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(hash, 'correct-horse-1')).toBe(true);
    expect(await hasher.verify(hash, 'correct-horse-2')).toBe(false);
  });

  it('verifies the hashes made before, by the argon2 package', async () => {
    expect(await hasher.verify(EARLIER_HASH, 'correct-horse-1')).toBe(true);
    expect(await hasher.verify(EARLIER_HASH, 'wrong')).toBe(false);
  });

  it('answers false, never throws, for an unknown account or a hash that is not one', async () => {
    expect(await hasher.verify(undefined, 'correct-horse-1')).toBe(false);
    expect(await hasher.verify('not-a-hash', 'correct-horse-1')).toBe(false);
  });
});
