import { Inject, Injectable } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { PASSWORDS_CONFIG, type PasswordsConfig } from '../../shared/config/app-config';

/**
 * argon2id at the OWASP minimum (m=19456 KiB, t=2, p=1) or stronger, per configuration, with
 * `@node-rs/argon2` (prebuilt N-API: no compiler at install). Hashes are PHC strings, so those
 * made by the `argon2` package before verify alike.
 */
@Injectable()
export class PasswordHasher {
  /** Verified against for unknown emails, so both paths cost the same. */
  private dummyHash?: Promise<string>;

  constructor(@Inject(PASSWORDS_CONFIG) private readonly config: PasswordsConfig) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: Algorithm.Argon2id,
      memoryCost: this.config.memoryKib,
      timeCost: this.config.timeCost,
      parallelism: 1,
    });
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    this.dummyHash ??= this.hash('not-a-real-password');
    const target = hash ?? (await this.dummyHash);
    const ok = await verify(target, password).catch(() => false);
    return ok && hash !== undefined;
  }
}
