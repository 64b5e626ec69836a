/**
 * The one place that decides whether a caller may reach a route. Routes declare an
 * AuthRequirement; surfaces call `authorize`, nothing else compares roles.
 */
import { HearthError } from '../errors.js';
import type { Principal } from './principal.js';
import { roleCovers, type Role } from './roles.js';

export type AuthRequirement =
  /** No credential needed (the small, explicit whitelist). */
  | { public: true }
  /**
   * A credential with at least `role`. `scope: 'own'` means the route acts on the caller's own
   * resources (the core checks ownership with `mayActOn`); `'any'` means on anyone's.
   */
  | { role: Role; scope: 'own' | 'any' };

export const PUBLIC: AuthRequirement = { public: true };
export const need = (role: Role, scope: 'own' | 'any' = 'any'): AuthRequirement => ({ role, scope });

/** 401 for no principal, 403 for one with too little role; returns when allowed. */
export function authorize(principal: Principal | null, req: AuthRequirement): void {
  if ('public' in req) return;
  if (!principal) throw new HearthError('user:noAuth', 'this call needs a credential');
  if (!roleCovers(principal.role, req.role)) {
    throw new HearthError('forbidden', `this call needs the ${req.role} role; the credential has ${principal.role}`);
  }
}

/** Whether `principal` may act on a resource owned by `accountId` (own, or a maintainer's any). */
export function mayActOn(principal: Principal, accountId: string | null): boolean {
  if (principal.owner || principal.role === 'maintainer') return true;
  return principal.account !== null && principal.account.id === accountId;
}
