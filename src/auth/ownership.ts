/**
 * Whose resources a call acts on: the one place every feature asks. An account's own things
 * (its devices, sessions, pairing phrase, recovery token, vault) are reached through the
 * principal's account; the server owner's global token (and the devices it paired) has things of
 * its own that belong to no account; a role token is automation and owns nothing. Acting on
 * another account needs the maintainer role.
 */
import { badRequest, HearthError } from '../kernel/errors.js';
import type { Principal } from './principal.js';
import { roleCovers } from './roles.js';

/**
 * The account whose own resources this principal's calls act on, or null for the server owner
 * (the global token and the devices it paired belong to no account). A role token has none.
 */
export function ownScope(principal: Principal): string | null {
  if (principal.credential.kind === 'role') {
    throw new HearthError('forbidden', 'a role token has no devices, pairing phrase or recovery token of its own; use a device, a session or the global token');
  }
  return principal.account?.id ?? null;
}

/** The principal's own account, for what only accounts have; else 400 with `why`. */
export function ownAccount(principal: Principal, why: string): { id: string; username: string } {
  if (!principal.account) throw badRequest(why);
  return principal.account;
}

/** Whether the principal may act on the account named `username`: its own, or any as a maintainer. */
export function mayActOn(principal: Principal, username: string): boolean {
  return principal.account?.username === username || roleCovers(principal.role, 'maintainer');
}

/** Throws 403 unless the principal may act on the account named `username`. */
export function checkMayActOn(principal: Principal, username: string): void {
  if (!mayActOn(principal, username)) throw new HearthError('forbidden', 'only a maintainer may act on another account');
}
