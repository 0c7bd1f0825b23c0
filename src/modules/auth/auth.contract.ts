/**
 * The auth module's whole public surface: the token protocol (see `shared/security`), by which
 * any process verifies access tokens. It answers `auth.jwks` and `auth.revocations`, and
 * broadcasts `auth.sessions-revoked`; it publishes no events.
 */
export {
  Jwks,
  Revocations,
  SECURITY_MESSAGES as AUTH_MESSAGES,
  SessionsRevoked,
} from '../../shared/security/security.contract';
export type { JwksDto } from '../../shared/security/security.contract';
