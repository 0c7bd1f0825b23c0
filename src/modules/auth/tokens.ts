import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { TOKENS_CONFIG, type TokensConfig } from '../../shared/config/app-config';
import { ACCESS_TOKEN_ALGORITHM } from '../../shared/security/security.contract';
import { SigningKeys } from './signing-keys';
import type { Session } from './persistence/session-repository';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Issues access JWTs and opaque refresh tokens (stored only as SHA-256 hashes). */
@Injectable()
export class Tokens {
  constructor(
    private readonly keys: SigningKeys,
    @Inject(TOKENS_CONFIG) private readonly config: TokensConfig,
  ) {}

  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token) };
  }

  async pair(session: Session, refreshToken: string): Promise<TokenPair> {
    const ttl = this.config.accessTtlSeconds;
    const accessToken = await new SignJWT({ roles: session.roles, sid: session.id })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: this.keys.kid, typ: 'JWT' })
      .setSubject(session.userId)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.keys.privateKey);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ttl };
  }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
