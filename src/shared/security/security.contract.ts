/**
 * The protocol by which any module verifies access tokens without the auth module's classes:
 * the auth module answers `auth.jwks` with its public keys.
 */
export const SECURITY_PATTERNS = { jwks: 'auth.jwks' } as const;

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The public JSON Web Key Set. */
export interface JwksDto {
  keys: Array<Record<string, unknown>>;
}

/** The algorithm every access token is signed with; verification accepts nothing else. */
export const ACCESS_TOKEN_ALGORITHM = 'EdDSA';

/** Who is calling, as proven by a verified access token. */
export interface Principal {
  userId: string;
  roles: Role[];
  sessionId: string;
}
