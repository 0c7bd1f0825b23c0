/**
 * The auth module's whole public surface. It answers `auth.jwks` (see the security protocol in
 * `shared/security`) so that any process can verify access tokens; it publishes no events.
 */
export { SECURITY_PATTERNS as AUTH_PATTERNS } from '../../shared/security/security.contract';
export type { JwksDto } from '../../shared/security/security.contract';
