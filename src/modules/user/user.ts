import type { Role } from '../../shared/security/security.contract';

/**
 * An account as the module's use cases and DTO mappers see it; the repository maps its rows to
 * and from this. It carries no password hash: only sign-up and the credential checks handle one
 * (`UserCredentials`).
 */
export interface User {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  /** Orders the user ever placed, kept from order events. */
  ordersTotal: number;
  /** Orders pending, confirmed or shipped, kept from order events. */
  ordersOpen: number;
  createdAt: Date;
  updatedAt: Date;
}

/** An account with its password's argon2id hash: what the credential checks read. */
export interface UserCredentials {
  user: User;
  passwordHash: string;
}

/** Two emails are one account in any letter case: what sign-up and login compare. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
