/**
 * Accounts (Bitmask's bonafide users, SelfPrivacy's users): a username, an argon2id password, a
 * role, a full name and a security stamp. The first account is the owner, a maintainer.
 */
import type { Principal } from '../auth/principal.js';
import { checkNewPassword, hashPassword, verifyPassword } from '../auth/passwords.js';
import { roleCovers, type Role } from '../auth/roles.js';
import { newId, randomSecret } from '../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../errors.js';
import type { Selectable } from 'kysely';
import type { AccountsTable } from '../store/schema.js';

type AccountRow = Selectable<AccountsTable>;
import { revokeAccountCredentials } from './credentials.js';
import type { Hearth } from './hearth.js';
import { guarded, type Attempt } from './limits.js';
import { consumeSecret } from './pairing.js';
import { deleteVaultRows } from './vault/accounts.js';

const USERNAME = /^[a-z_][a-z0-9_]+$/;
const MAX_USERNAME = 31; // "shorter than 32" (SelfPrivacy)

/**
 * System and service account names (SelfPrivacy's list), plus Hearth's own: taken, like an
 * existing name (409).
 */
const RESERVED = new Set([
  'root', 'messagebus', 'postfix', 'polkituser', 'dovecot2', 'dovenull', 'nginx', 'postgres', 'prosody', 'opendkim',
  'rspamd', 'sshd', 'selfprivacy-api', 'restic', 'redis', 'pleroma', 'ocserv', 'nextcloud', 'memcached',
  'knot-resolver', 'gitea', 'bitwarden_rs', 'vaultwarden', 'acme', 'virtualMail', 'nobody',
  'admin', 'hearth', 'hearthd', 'owner', 'bitwarden', 'vault', 'www', 'api', 'postmaster', 'mail', 'daemon', 'bin', 'sys',
].map((n) => n.toLowerCase()));
const RESERVED_PREFIXES = ['systemd', 'nixbld'];

export interface Account {
  id: string;
  username: string;
  role: Role;
  owner: boolean;
  fullName: string;
  securityStamp: string;
  createdAt: number;
  updatedAt: number;
}

export const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  username: r.username,
  role: r.role as Role,
  owner: r.owner === 1,
  fullName: r.full_name,
  securityStamp: r.security_stamp,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** What commands show of an account (never its hash or stamp). */
export function describeAccount(h: Hearth, a: Account) {
  return {
    username: a.username,
    address: `${a.username}@${h.config.server.domain}`,
    role: a.role,
    owner: a.owner,
    full_name: a.fullName,
    created_at: new Date(a.createdAt).toISOString(),
    updated_at: new Date(a.updatedAt).toISOString(),
  };
}

/**
 * `alice` or `alice@<domain>` (Bitmask's user@provider) → `alice`. Any other domain is an error;
 * a name that could never be an account is one too.
 */
export function normalizeUsername(h: Hearth, raw: string, param = 'username'): string {
  let name = raw.trim();
  const at = name.lastIndexOf('@');
  if (at >= 0) {
    const domain = name.slice(at + 1).toLowerCase();
    if (domain !== h.config.server.domain.toLowerCase()) {
      throw badRequest(`${param}: ${JSON.stringify(raw)} is not on this server's domain ${h.config.server.domain}`);
    }
    name = name.slice(0, at);
  }
  return name;
}

/**
 * Checks a new username: 409 for a reserved name, 400 for the wrong shape. Reserved names are
 * checked first, as SelfPrivacy did: several (selfprivacy-api, systemd-…) could never pass the shape.
 */
function checkNewUsername(name: string): void {
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) {
    throw new HearthError('conflict', `username ${name} is reserved for the system`);
  }
  if (name.length > MAX_USERNAME || !USERNAME.test(name)) {
    throw badRequest(`username must be 2 to ${MAX_USERNAME} characters of a-z, 0-9 and _, not starting with a digit; got ${JSON.stringify(name)}`);
  }
}

export async function findAccount(h: Hearth, username: string): Promise<Account | null> {
  const row = await h.store.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
  return row ? toAccount(row) : null;
}

export async function getAccount(h: Hearth, username: string): Promise<Account> {
  const a = await findAccount(h, username);
  if (!a) throw notFound(`no account ${username}`);
  return a;
}

export async function accountById(h: Hearth, id: string): Promise<Account | null> {
  const row = await h.store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toAccount(row) : null;
}

async function countAccounts(h: Hearth): Promise<number> {
  const row = await h.store.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface CreateAccount {
  username: string;
  pass: string;
  invitecode?: string;
  role?: Role;
  full_name?: string;
}

/**
 * Creates an account. While none exists, anyone may create the first (the owner, maintainer).
 * After that a maintainer may create any account with any role; anyone else only as the
 * registration policy allows (`open`, or `invite` with a valid code), as a creator.
 */
export async function createAccount(h: Hearth, principal: Principal | null, p: CreateAccount): Promise<Account> {
  const username = normalizeUsername(h, p.username);
  checkNewUsername(username);
  checkNewPassword(p.pass);
  if (p.full_name !== undefined && p.full_name.length > 200) throw badRequest('full_name must be at most 200 characters');
  // A role token is automation: it registers as anyone would, never with a maintainer's powers.
  const byMaintainer = principal !== null && principal.credential.kind !== 'role' && roleCovers(principal.role, 'maintainer');
  const policy = h.config.accounts.registration;
  // Refuse what the policy refuses before hashing: the hash is the expensive part.
  if (!byMaintainer && (policy !== 'open' || (p.role !== undefined && p.role !== 'creator')) && (await countAccounts(h)) > 0) {
    if (p.role !== undefined && p.role !== 'creator') throw new HearthError('forbidden', 'only a maintainer may choose the role of a new account');
    if (policy === 'closed') throw new HearthError(principal ? 'forbidden' : 'user:noAuth', 'registration is closed: a maintainer creates accounts');
    if (!p.invitecode) throw badRequest('registration needs an invite code: pass invitecode');
  }
  const hash = await hashPassword(p.pass);
  const now = h.clock.now();

  return h.store.db.transaction().execute(async (tx) => {
    const first = (await tx.selectFrom('accounts').select('id').limit(1).executeTakeFirst()) === undefined;
    let role: Role = p.role ?? 'creator';
    if (first) {
      role = 'maintainer';
    } else if (!byMaintainer) {
      if (p.role !== undefined && p.role !== 'creator') throw new HearthError('forbidden', 'only a maintainer may choose the role of a new account');
      if (policy === 'closed') {
        throw new HearthError(principal ? 'forbidden' : 'user:noAuth', 'registration is closed: a maintainer creates accounts');
      }
      if (policy === 'invite') {
        if (!p.invitecode) throw badRequest('registration needs an invite code: pass invitecode');
        const spent = await consumeSecret(tx, 'invite', p.invitecode, now);
        if (!spent) throw new HearthError('forbidden', 'the invite code is wrong, expired or used');
      }
    }
    if (await tx.selectFrom('accounts').select('id').where('username', '=', username).executeTakeFirst()) {
      throw new HearthError('conflict', `account ${username} exists already`);
    }
    const row: AccountRow = {
      id: newId(),
      username,
      password_hash: hash,
      role,
      full_name: p.full_name ?? '',
      security_stamp: randomSecret(16),
      created_at: now,
      updated_at: now,
      owner: first ? 1 : 0,
    };
    await tx.insertInto('accounts').values(row).execute();
    return toAccount(row);
  });
}

/** Every account, the owner first (SelfPrivacy's app takes element 0 as the administrator). */
export async function listAccounts(h: Hearth): Promise<Account[]> {
  const rows = await h.store.db.selectFrom('accounts').selectAll().orderBy('owner', 'desc').orderBy('created_at').orderBy('username').execute();
  return rows.map(toAccount);
}

/** The account a principal may act on: its own, or (for a maintainer) the one it names. */
export async function targetAccount(h: Hearth, principal: Principal, username: string | undefined): Promise<Account> {
  if (username === undefined || username === '') {
    if (!principal.account) throw badRequest('this credential belongs to no account: name one with username');
    return getAccount(h, principal.account.username);
  }
  const name = normalizeUsername(h, username);
  if (principal.account?.username !== name && !roleCovers(principal.role, 'maintainer')) {
    throw new HearthError('forbidden', 'only a maintainer may act on another account');
  }
  return getAccount(h, name);
}

/**
 * Checks a username and password (with the failed-login limits): the account, or user:badLogin.
 * Unknown users cost the same time and count against the same address limits.
 */
export async function checkLogin(h: Hearth, username: string, pass: string, from: Omit<Attempt, 'username' | 'accountId'>): Promise<Account> {
  let name: string;
  try {
    name = normalizeUsername(h, username);
  } catch {
    name = username;
  }
  const row = await h.store.db.selectFrom('accounts').selectAll().where('username', '=', name).executeTakeFirst();
  // What cannot be a username (a password typed in the wrong field, say) is not written to the log.
  const logged = name.length <= MAX_USERNAME && USERNAME.test(name) ? name : '(not a username)';
  const attempt: Attempt = { ...from, username: logged, accountId: row?.id ?? null };
  return guarded(
    h,
    attempt,
    async () => ((await verifyPassword(row?.password_hash ?? null, pass)) && row ? toAccount(row) : null),
    () => new HearthError('user:badLogin', 'wrong username or password'),
  );
}

/** Sets a new password and stamp, and revokes every credential of the account but `keep`. */
async function setPassword(h: Hearth, account: Account, newpass: string, keepCredentialId: string | null): Promise<void> {
  const hash = await hashPassword(newpass);
  const now = h.clock.now();
  await h.store.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('accounts')
      .set({ password_hash: hash, security_stamp: randomSecret(16), updated_at: now })
      .where('id', '=', account.id)
      .execute();
    await revokeAccountCredentials(tx, account.id, keepCredentialId);
  });
}

/**
 * Changes a password (Bitmask's user/update): the old one is needed, even for a maintainer
 * (a maintainer resets without it through `resetPassword`). Every other credential of the
 * account is revoked; the one used for the change keeps working (mox's rule).
 */
export async function updatePassword(
  h: Hearth,
  principal: Principal,
  p: { username?: string; oldpass: string; newpass: string },
  from: Omit<Attempt, 'username' | 'accountId'>,
): Promise<Account> {
  const account = await targetAccount(h, principal, p.username);
  checkNewPassword(p.newpass, 'newpass');
  await checkLogin(h, account.username, p.oldpass, from).catch((err: unknown) => {
    if (err instanceof HearthError && err.code === 'user:badLogin') throw new HearthError('user:badLogin', 'oldpass is not the current password');
    throw err;
  });
  await setPassword(h, account, p.newpass, principal.credential.id);
  return (await accountById(h, account.id))!;
}

/** Sets the full name of the caller's account (a maintainer: of any account). */
export async function setFullName(h: Hearth, principal: Principal, p: { full_name: string; username?: string }): Promise<Account> {
  const account = await targetAccount(h, principal, p.username);
  const fullName = p.full_name.trim();
  if (fullName.length > 200) throw badRequest('full_name must be at most 200 characters');
  await h.store.db.updateTable('accounts').set({ full_name: fullName, updated_at: h.clock.now() }).where('id', '=', account.id).execute();
  return (await accountById(h, account.id))!;
}

/** A maintainer sets another account's password without the old one; all its credentials end. */
export async function resetPassword(h: Hearth, principal: Principal, p: { username: string; newpass: string }): Promise<Account> {
  const account = await getAccount(h, normalizeUsername(h, p.username));
  checkNewPassword(p.newpass, 'newpass');
  await setPassword(h, account, p.newpass, principal.account?.id === account.id ? principal.credential.id : null);
  return (await accountById(h, account.id))!;
}

/** Deletes an account and, with it, every credential it holds. Never the last maintainer. */
export async function deleteAccount(h: Hearth, username: string): Promise<void> {
  const account = await getAccount(h, normalizeUsername(h, username));
  if (account.owner) throw badRequest(`${account.username} is the owner (the main user) and cannot be deleted`);
  await h.store.db.transaction().execute(async (tx) => {
    if (account.role === 'maintainer') {
      const row = await tx
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('role', '=', 'maintainer')
        .executeTakeFirstOrThrow();
      if (Number(row.n) <= 1) throw badRequest(`${account.username} is the last maintainer; make another account a maintainer first`);
    }
    await revokeAccountCredentials(tx, account.id, null);
    await deleteVaultRows(tx, account.id);
    await tx.deleteFrom('one_time_secrets').where('account_id', '=', account.id).execute();
    await tx.deleteFrom('accounts').where('id', '=', account.id).execute();
  });
}

/** Changes an account's role (maintainer only). Never demotes the last maintainer. */
export async function setRole(h: Hearth, username: string, role: Role): Promise<Account> {
  const account = await getAccount(h, normalizeUsername(h, username));
  if (account.owner && role !== 'maintainer') throw badRequest(`${account.username} is the owner and stays a maintainer`);
  if (account.role === 'maintainer' && role !== 'maintainer') {
    const row = await h.store.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number | string>().as('n')).where('role', '=', 'maintainer').executeTakeFirstOrThrow();
    if (Number(row.n) <= 1) throw badRequest(`${account.username} is the last maintainer; make another account a maintainer first`);
  }
  await h.store.db.updateTable('accounts').set({ role, updated_at: h.clock.now() }).where('id', '=', account.id).execute();
  return (await accountById(h, account.id))!;
}

export { countAccounts };
