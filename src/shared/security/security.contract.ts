/**
 * The protocol by which any module verifies access tokens without the auth module's classes:
 * the auth module answers `auth.jwks` with its public keys, and `auth.revocations` with the
 * sessions revoked lately, and broadcasts `auth.sessions-revoked` to every process (each
 * replica of each module receives each one) the moment it revokes sessions.
 */
import { z } from 'zod';
import { defineBroadcast, defineRequest, tolerantEnum } from '../bus/contract';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Roles as a reader sees them: one it does not know (a newer peer's) grants nothing, so it is
 * left out. The schema shows the roles there are (a tolerant enum), as the AsyncAPI document does.
 */
export const roleList = z
  .array(tolerantEnum(ROLES, 'unknown'))
  .transform((roles) => roles.filter((r): r is Role => r !== 'unknown'))
  .describe(`any of ${ROLES.join(', ')}; a role a reader does not know is left out`);

const jwks = z.object({
  keys: z.array(z.record(z.string(), z.unknown())).describe('Public JSON Web Keys (RFC 7517).'),
});
/** The public JSON Web Key Set. */
export type JwksDto = z.infer<typeof jwks>;

export const Jwks = defineRequest({
  name: 'auth.jwks',
  owner: 'auth',
  version: '1.0',
  summary: 'The public keys that verify access tokens.',
  request: z.object({}),
  reply: jwks,
});

const revocation = z.object({
  sessionId: z.string().min(1),
  revokedAtMs: z.number().describe('When it was revoked (ms since the epoch).'),
});
/** A session revoked at `revokedAtMs`: its access tokens are refused until they expire. */
export type SessionRevocation = z.infer<typeof revocation>;

export const Revocations = defineRequest({
  name: 'auth.revocations',
  owner: 'auth',
  version: '1.0',
  summary: 'The sessions revoked since a time, for a process catching up.',
  request: z.object({
    sinceMs: z.number().min(0).describe('Revocations recorded at or after this (0: all kept).'),
  }),
  reply: z.object({ revocations: z.array(revocation) }),
});
export type RevocationsRequest = z.infer<typeof Revocations.request>;
export type RevocationsReply = z.infer<typeof Revocations.reply>;

export const SessionsRevoked = defineBroadcast({
  name: 'auth.sessions-revoked',
  owner: 'auth',
  version: '1.0',
  summary: 'Sessions revoked just now: every process refuses their access tokens at once.',
  data: z.object({ revocations: z.array(revocation) }),
});
export type SessionsRevokedData = z.infer<typeof SessionsRevoked.data>;

/** Every message of the token protocol (the auth module's), for the AsyncAPI document. */
export const SECURITY_MESSAGES = [Jwks, Revocations, SessionsRevoked] as const;

/** The algorithm every access token is signed with; verification accepts nothing else. */
export const ACCESS_TOKEN_ALGORITHM = 'EdDSA';

/** Who is calling, as proven by a verified access token. */
export interface Principal {
  userId: string;
  roles: Role[];
  sessionId: string;
}
