/**
 * SSH on the server: sshd's settings (enable, password authentication) and the public keys of
 * each account and of root, kept in the host state and written to the state file and to
 * authorized_keys files. Keys are parsed (./keys.ts); a duplicate is one with the same key data.
 */
import { mayActOn } from '../../auth/ownership.js';
import type { Principal } from '../../auth/principal.js';
import { roleCovers } from '../../auth/roles.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { getAccount, normalizeUsername } from '../accounts/service.js';
import * as state from '../host-state/service.js';
import { parsePublicKey } from './keys.js';

export { parsePublicKey, type ParsedKey } from './keys.js';

export const ROOT = state.ROOT;

export const getSettings = (h: Hearth): Promise<state.SshSettings> => state.getSetting(h, 'ssh');

/** Changes only the settings given (SelfPrivacy's PUT /services/ssh). */
export async function setSettings(h: Hearth, p: { enable?: boolean; passwordAuthentication?: boolean }): Promise<state.SshSettings> {
  const current = await getSettings(h);
  const next = { enable: p.enable ?? current.enable, passwordAuthentication: p.passwordAuthentication ?? current.passwordAuthentication };
  await state.setSetting(h, 'ssh', next);
  return next;
}

/** Whose keys: `root`, or an account (404 when there is none); without a name, the caller's own. */
async function scopeOf(h: Hearth, principal: Principal, username: string | undefined): Promise<{ scope: string; username: string }> {
  if (username === undefined || username === '') {
    if (!principal.account) throw badRequest('this credential belongs to no account: name a user, or root');
    username = principal.account.username;
  }
  if (username === ROOT) {
    if (!roleCovers(principal.role, 'maintainer')) throw new HearthError('forbidden', "only a maintainer may see or change root's keys");
    return { scope: ROOT, username: ROOT };
  }
  const name = normalizeUsername(h, username);
  if (!mayActOn(principal, name)) throw new HearthError('forbidden', "only a maintainer may see or change another account's keys");
  const account = await getAccount(h, name).catch((err: unknown) => {
    throw err instanceof HearthError && err.code === 'notFound' ? notFound(`no user ${name}`) : err;
  });
  return { scope: account.id, username: account.username };
}

export interface KeyView {
  type: string;
  public_key: string;
  comment: string;
  fingerprint: string;
  created_at: string;
}

/** The keys of a user (or root): one's own for anyone, any for a maintainer. */
export async function listKeys(h: Hearth, principal: Principal, username?: string): Promise<{ username: string; keys: KeyView[] }> {
  const target = await scopeOf(h, principal, username);
  const rows = await state.keysOf(h, target.scope);
  return {
    username: target.username,
    keys: rows.map((r) => ({
      type: r.key_type,
      public_key: r.comment ? `${r.public_key} ${r.comment}` : r.public_key,
      comment: r.comment,
      fingerprint: r.fingerprint,
      created_at: new Date(r.created_at).toISOString(),
    })),
  };
}

/** Adds a key: 400 when it does not parse or is not accepted, 404 for an unknown user, 409 when the user has it. */
export async function addKey(
  h: Hearth,
  principal: Principal,
  p: { public_key: string; username?: string },
): Promise<{ username: string; fingerprint: string; type: string }> {
  const key = parsePublicKey(p.public_key);
  const target = await scopeOf(h, principal, p.username);
  const added = await state.addKey(h, {
    scope: target.scope,
    account_id: target.scope === ROOT ? null : target.scope,
    key_type: key.type,
    public_key: key.publicKey,
    comment: key.comment,
    fingerprint: key.fingerprint,
  });
  if (!added) throw new HearthError('conflict', `${target.username} has this key already (${key.fingerprint})`);
  return { username: target.username, fingerprint: key.fingerprint, type: key.type };
}

/** Deletes a key, named by the key itself or its `SHA256:` fingerprint: 404 for an unknown user or key. */
export async function deleteKey(
  h: Hearth,
  principal: Principal,
  p: { public_key: string; username?: string },
): Promise<{ username: string; fingerprint: string }> {
  const fingerprint = /^SHA256:[A-Za-z0-9+/]{43}$/.test(p.public_key.trim()) ? p.public_key.trim() : parsePublicKey(p.public_key).fingerprint;
  const target = await scopeOf(h, principal, p.username);
  if (!(await state.deleteKey(h, target.scope, fingerprint))) throw notFound(`${target.username} has no key ${fingerprint}`);
  return { username: target.username, fingerprint };
}
