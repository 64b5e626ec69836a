/**
 * The one place that decides whether a caller may reach a route. Routes declare an
 * AuthRequirement; surfaces call `authorize`, nothing else compares roles. Which account's
 * resources a call may touch is decided in one place too: ./ownership.ts.
 */
import { HearthError } from '../kernel/errors.js';
import type { Principal } from './principal.js';
import { roleCovers, type Role } from './roles.js';

/**
 * No credential needed (the small, explicit whitelist). With `identify`, a credential that is
 * presented is still checked (a bad one → 401) and the command sees who called.
 */
export interface PublicRequirement {
  public: true;
  identify?: boolean;
}

/** A credential with at least `role`. */
export interface RoleRequirement {
  role: Role;
  public?: never;
  /**
   * The route mints or changes stored credentials (devices, recovery tokens, passwords, roles,
   * more role tokens): a role token may not call it, so automation cannot make credentials
   * that outlive it or escape `max_token_chain`.
   */
  mints?: boolean;
}

export type AuthRequirement = PublicRequirement | RoleRequirement;

export const PUBLIC: PublicRequirement = { public: true };
/** Open to anyone, but a presented credential counts (e.g. creating an account: the owner may choose its role). */
export const PUBLIC_IDENTIFIED: PublicRequirement = { public: true, identify: true };
export const need = (role: Role): RoleRequirement => ({ role });
/** `need`, for a route that mints or changes stored credentials (role tokens are refused). */
export const needMinting = (role: Role): RoleRequirement => ({ role, mints: true });

export const isPublic = (req: AuthRequirement): req is PublicRequirement => req.public === true;

/** 401 for no principal, 403 for one with too little role; returns when allowed. */
export function authorize(principal: Principal | null, req: AuthRequirement): void {
  if (isPublic(req)) return;
  if (!principal) throw new HearthError('user:noAuth', 'this call needs a credential');
  if (!roleCovers(principal.role, req.role)) {
    throw new HearthError('forbidden', `this call needs the ${req.role} role; the credential has ${principal.role}`);
  }
  if (req.mints && principal.credential.kind === 'role') {
    throw new HearthError('forbidden', 'a role token cannot make or change stored credentials; use a device, a session or the global token');
  }
}
