/**
 * The protocol by which any module verifies access tokens without the auth module's classes:
 * the auth module answers `auth.jwks` with its public keys, and `auth.revocations` with the
 * sessions revoked lately, and broadcasts `auth.sessions-revoked` to every process (each
 * replica of each module receives each one) the moment it revokes sessions.
 */
export const SECURITY_PATTERNS = {
  /** `{}` → `JwksDto` */
  jwks: 'auth.jwks',
  /** `RevocationsRequest` → `RevocationsReply` */
  revocations: 'auth.revocations',
} as const;

export const SECURITY_EVENTS = {
  /** `SessionsRevoked`, broadcast: every process receives it. */
  sessionsRevoked: 'auth.sessions-revoked',
} as const;

/** A session revoked at `revokedAtMs`: its access tokens are refused until they expire. */
export interface SessionRevocation {
  sessionId: string;
  revokedAtMs: number;
}

export interface RevocationsRequest {
  /** Revocations recorded at or after this (0: all that are kept). */
  sinceMs: number;
}

export interface RevocationsReply {
  revocations: SessionRevocation[];
}

export interface SessionsRevoked {
  revocations: SessionRevocation[];
}

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
