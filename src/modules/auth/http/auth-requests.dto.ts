import { ApiProperty } from '@nestjs/swagger';
import {
  integerSchema,
  type IntegerRule,
  textSchema,
  TextField,
  type TextRule,
} from '../../../shared/http/api-fields';
import { ACCESS_TOKEN_TTL_SECONDS } from '../../../shared/config/config';

/**
 * Login takes any email-sized string: a malformed email and an unknown one get the same 401,
 * so that no account is revealed by the answer.
 */
const LOGIN_EMAIL: TextRule = { minLength: 1, maxLength: 254, example: 'ada@example.com' };
const LOGIN_PASSWORD: TextRule = {
  minLength: 1,
  maxLength: 128,
  format: 'password',
  example: 'correct horse battery staple',
};
/** What a refresh request may hold; an unknown or malformed token is a 401. */
const PRESENTED_REFRESH_TOKEN: TextRule = {
  maxLength: 200,
  description: 'Opaque refresh token from login or refresh',
  example: 'kJ3b9V0sQm3X7rYwq1f2Zr8h5T0uLkA4pN6cD2eG9sI',
};
/** What the server issues: 32 random bytes, base64url. */
const ISSUED_REFRESH_TOKEN: TextRule = {
  minLength: 43,
  maxLength: 43,
  pattern: /^[A-Za-z0-9_-]{43}$/,
  description: 'Opaque refresh token: present it to refresh or logout',
};
const ACCESS_TOKEN: TextRule = {
  maxLength: 4096,
  pattern: /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
  description: 'EdDSA-signed JWT (compact form): send it as `Authorization: Bearer <accessToken>`',
};
const EXPIRES_IN: IntegerRule = {
  minimum: ACCESS_TOKEN_TTL_SECONDS.minimum,
  maximum: ACCESS_TOKEN_TTL_SECONDS.maximum,
  description: 'Access token lifetime in seconds (ACCESS_TOKEN_TTL_SECONDS)',
};
/** A base64url member of an Ed25519 public JWK, or the key's thumbprint. */
const JWK_MEMBER: TextRule = { minLength: 43, maxLength: 43, pattern: /^[A-Za-z0-9_-]{43}$/ };

export class LoginDto {
  @TextField(LOGIN_EMAIL)
  email!: string;

  @TextField(LOGIN_PASSWORD)
  password!: string;
}

export class RefreshTokenDto {
  @TextField(PRESENTED_REFRESH_TOKEN)
  refreshToken!: string;
}

export class TokenPairDto {
  @ApiProperty(textSchema(ACCESS_TOKEN)) accessToken!: string;
  @ApiProperty(textSchema(ISSUED_REFRESH_TOKEN)) refreshToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty(integerSchema(EXPIRES_IN)) expiresIn!: number;
}

/** A public JSON Web Key (RFC 7517, RFC 8037): the Ed25519 key that signs access tokens. */
export class JwkDto {
  @ApiProperty({ enum: ['OKP'] }) kty!: 'OKP';
  @ApiProperty({ enum: ['Ed25519'] }) crv!: 'Ed25519';
  @ApiProperty({ ...textSchema(JWK_MEMBER), description: 'The public key' }) x!: string;
  @ApiProperty({ ...textSchema(JWK_MEMBER), description: 'RFC 7638 thumbprint' }) kid!: string;
  @ApiProperty({ enum: ['EdDSA'] }) alg!: 'EdDSA';
  @ApiProperty({ enum: ['sig'] }) use!: 'sig';
}

export class JwksResponseDto {
  @ApiProperty({ type: [JwkDto], minItems: 1, maxItems: 1 })
  keys!: JwkDto[];
}
