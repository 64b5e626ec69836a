import type { Role } from './roles.js';

/** How a caller proved who it is. Later credential kinds add themselves here. */
export type CredentialKind = 'global';

/**
 * Who is calling: the server owner or an account, with what role, through which credential.
 * Every credential scheme resolves to this one shape, and only the policy reads it.
 */
export interface Principal {
  credential: { kind: CredentialKind; id: string };
  /** The account acting, or null for the server owner's global token. */
  account: { id: string; username: string } | null;
  role: Role;
  owner: boolean;
}
