/**
 * The user module's whole public surface: what it answers on the bus, the events it publishes,
 * and their payloads. Other modules may import this file and nothing else of the user module.
 */
import { z } from 'zod';
import { defineEvent, defineRequest } from '../../shared/bus/contract';
import { roleList } from '../../shared/security/security.contract';

const userId = z.uuid().describe('The account (a UUID).');
/**
 * The account's version: 1 when it is registered, one more with every change to it (the
 * deletion included). Release 0.1.0 sent none; a reader orders such events by arrival.
 */
const accountVersion = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe('The account’s version after this change (absent from release 0.1.0).');

export const VerifyCredentials = defineRequest({
  name: 'user.verify-credentials',
  owner: 'user',
  version: '1.0',
  summary: 'Checks an email and password (the auth module asks it at login).',
  request: z.object({ email: z.string(), password: z.string() }),
  reply: z.object({
    user: z
      .object({ id: userId, roles: roleList })
      .nullable()
      .describe('null for an unknown email and for a wrong password alike'),
  }),
});
export type VerifyCredentialsRequest = z.infer<typeof VerifyCredentials.request>;
export type VerifyCredentialsReply = z.infer<typeof VerifyCredentials.reply>;

export const CheckAccount = defineRequest({
  name: 'user.check-account',
  owner: 'user',
  version: '1.0',
  summary: 'Whether an account exists, and its roles.',
  deprecated:
    'Asked by the order module of release 0.1.0 on every order; 0.2.0 asks nothing on the order path. Answered through 0.2.x, removed after.',
  request: z.object({ userId: z.string() }),
  reply: z.object({ exists: z.boolean(), roles: roleList }),
});
export type CheckAccountRequest = z.infer<typeof CheckAccount.request>;
export type CheckAccountReply = z.infer<typeof CheckAccount.reply>;

export const UserRegistered = defineEvent({
  name: 'user.registered',
  owner: 'user',
  version: '1.1',
  summary: 'An account was created.',
  data: z.object({ userId, roles: roleList, accountVersion }),
});
export type UserRegisteredData = z.infer<typeof UserRegistered.data>;

const accountChange = z.object({ userId, accountVersion });

export const UserDeleted = defineEvent({
  name: 'user.deleted',
  owner: 'user',
  version: '1.1',
  summary: 'An account was deleted: its sessions are revoked and its open orders cancelled.',
  data: accountChange,
});

export const UserPasswordChanged = defineEvent({
  name: 'user.password-changed',
  owner: 'user',
  version: '1.1',
  summary: 'An account’s password changed: its sessions are revoked.',
  data: accountChange,
});

/** Data of `user.deleted` and `user.password-changed`. */
export type UserAccountEventData = z.infer<typeof accountChange>;

/** Every message of the user module, for the AsyncAPI document. */
export const USER_MESSAGES = [
  VerifyCredentials,
  CheckAccount,
  UserRegistered,
  UserDeleted,
  UserPasswordChanged,
] as const;
