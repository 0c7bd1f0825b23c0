/**
 * The user module's whole public surface: what it answers on the bus, the events it publishes,
 * and their payloads. Other modules may import this file and nothing else of the user module.
 */
import type { Role } from '../../shared/security/security.contract';

export const USER_PATTERNS = {
  /** `VerifyCredentialsRequest` → `VerifyCredentialsReply` */
  verifyCredentials: 'user.verify-credentials',
  /** `CheckAccountRequest` → `CheckAccountReply` */
  checkAccount: 'user.check-account',
} as const;

export const USER_EVENTS = {
  registered: 'user.registered',
  deleted: 'user.deleted',
  passwordChanged: 'user.password-changed',
} as const;

export interface VerifyCredentialsRequest {
  email: string;
  password: string;
}

/** `user` is null for an unknown email and for a wrong password alike. */
export interface VerifyCredentialsReply {
  user: { id: string; roles: Role[] } | null;
}

export interface CheckAccountRequest {
  userId: string;
}

export interface CheckAccountReply {
  exists: boolean;
  roles: Role[];
}

export interface UserRegisteredData {
  userId: string;
  roles: Role[];
}

/** Data of `user.deleted` and `user.password-changed`. */
export interface UserAccountEventData {
  userId: string;
}
