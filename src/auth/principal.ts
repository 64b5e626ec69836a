import type { Role } from './roles.js';

/**
 * How a caller proved who it is: the global API token, a login session (`Authorization: Token`,
 * or the console's cookie), a device token or a role token (both `Authorization: Bearer`), or a vault access token (a JWT, Bearer, on the
 * Bitwarden surface only).
 */
export type CredentialKind = 'global' | 'session' | 'device' | 'role' | 'vault';

/**
 * Who is calling: the server owner or an account, with what role, through which credential.
 * Every credential scheme resolves to this one shape, and only the policy reads it.
 */
export interface Principal {
  credential: { kind: CredentialKind; id: string };
  /** The account acting, or null for the server owner (global token, its devices) and role tokens. */
  account: { id: string; username: string } | null;
  role: Role;
  /** The server owner: the global token, devices it paired, and the first account. */
  owner: boolean;
}
