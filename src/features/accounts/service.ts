/**
 * Accounts (Bitmask's bonafide users, SelfPrivacy's users): a username, an argon2id password, a
 * role, a full name and a security stamp. The first account is the owner, a maintainer.
 */
import type { Static } from '@sinclair/typebox';
import type { AccountView } from '../../api/schemas.js';
import { checkMayActOn } from '../../auth/ownership.js';
import { checkNewPassword, hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import { roleCovers, type Role } from '../../auth/roles.js';
import { newId, randomSecret, secretsEqual, tokenHash } from '../../auth/secrets.js';
import { badRequest, HearthError, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import type { Db } from '../../store/db.js';
import { beginKeyPair } from '../keys/service.js';
import { guarded, type From } from '../limits/service.js';
import { consumeSecret, deleteSecret, liveSecrets, storeSecret } from '../one-time-secrets/service.js';
import * as repo from './repo.js';
import type { AccountRow } from './repo.js';

const USERNAME = /^[a-z_][a-z0-9_]+$/;
const MAX_USERNAME = 31; // "shorter than 32" (SelfPrivacy)

/**
 * System and service account names (SelfPrivacy's list), plus Hearth's own: taken, like an
 * existing name (409).
 */
const RESERVED = new Set(
  [
    'root',
    'messagebus',
    'postfix',
    'polkituser',
    'dovecot2',
    'dovenull',
    'nginx',
    'postgres',
    'prosody',
    'opendkim',
    'rspamd',
    'sshd',
    'selfprivacy-api',
    'restic',
    'redis',
    'pleroma',
    'ocserv',
    'nextcloud',
    'memcached',
    'knot-resolver',
    'gitea',
    'bitwarden_rs',
    'vaultwarden',
    'acme',
    'virtualMail',
    'nobody',
    'admin',
    'hearth',
    'hearthd',
    'owner',
    'bitwarden',
    'vault',
    'www',
    'api',
    'postmaster',
    'mail',
    'daemon',
    'bin',
    'sys',
  ].map((n) => n.toLowerCase()),
);
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

export function describeAccount(h: Hearth, a: Account): Static<typeof AccountView> {
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
  // A NUL or a control character is never in a name (and PostgreSQL refuses NUL in text).
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) throw badRequest(`${param}: a name cannot hold control characters`);
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

/** The account named `username` (already normalized), looked up in `db` (a transaction, say). */
export async function findAccount(db: Db, username: string): Promise<Account | null> {
  const row = await repo.byUsername(db, username);
  return row ? toAccount(row) : null;
}

export async function getAccount(h: Hearth, username: string): Promise<Account> {
  const a = await findAccount(h.store.db, username);
  if (!a) throw notFound(`no account ${username}`);
  return a;
}

export async function accountById(h: Hearth, id: string, db: Db = h.store.db): Promise<Account | null> {
  const row = await repo.byId(db, id);
  return row ? toAccount(row) : null;
}

export const countAccounts = (h: Hearth): Promise<number> => repo.count(h.store.db);

/** Accounts in the store, or null where the table is absent (its migration skipped or disabled). */
export const accountsInStore = (h: Hearth): Promise<number | null> => countAccounts(h).catch(() => null);

export interface CreateAccount {
  username: string;
  pass: string;
  invitecode?: string;
  role?: Role;
  full_name?: string;
  /** The first-run setup code: the first account needs it unless a maintainer's credential creates it. */
  setup_code?: string;
}

/** The file in Hearth's home that holds the first-run setup code while no account exists. */
export const SETUP_CODE_FILE = 'setup-code';

/** Who the owner is, as the global token's principal needs it. */
export type OwnerRef = { id: string; username: string };

/**
 * The owner's account — the first account created on the store, marked `owner`; it cannot be
 * deleted or demoted, so once known it never changes —, or null while none exists. Answers from
 * memory once known (the hot path: every call with the global token), and asks the store only
 * while there is no owner yet (another replica may create it). Without a store: null.
 */
export function knownOwner(h: Hearth): OwnerRef | null | Promise<OwnerRef | null> {
  if (h.owner) return h.owner;
  let db: Db;
  try {
    db = h.store.db;
  } catch {
    return null; // the store is not up: the global token still works, as nobody's
  }
  return repo.owner(db).then(
    (row) => (h.owner ??= row ? { id: row.id, username: row.username } : null),
    () => null, // no accounts table (its migration skipped): no owner
  );
}

/**
 * The first-run claim: while no account exists, creating one without a maintainer's credential
 * needs the setup code hearthd keeps in its home. Compared in constant time (as SHA-256 digests,
 * so lengths match); a wrong code counts in the failed-login limits like a wrong password.
 */
async function checkSetupCode(h: Hearth, code: string | undefined, from: From): Promise<void> {
  if (!code) {
    throw new HearthError(
      'forbidden',
      `the first account needs the setup code: open the link hearthd printed when it started, or read the file ${SETUP_CODE_FILE} in Hearth's home, and pass it as setup_code`,
    );
  }
  await guarded(
    h,
    { ...from, username: '(setup code)', accountId: null },
    async () => {
      const expected = h.setup?.code;
      return expected !== undefined && secretsEqual(tokenHash(code.trim()), tokenHash(expected)) ? true : null;
    },
    () => new HearthError('forbidden', `the setup code is wrong; it is in the file ${SETUP_CODE_FILE} in Hearth's home`),
  );
}

export interface CreateOptions {
  /** Where the call came from (for the limits, when a setup code is checked). */
  from?: From;
  /**
   * Run in the creating transaction when the account is the owner (the first): the credentials
   * feature gives it what the global token made before it.
   */
  onOwner?: (tx: Db, owner: Account) => Promise<void>;
}

/**
 * Creates an account. While none exists, anyone may create the first (the owner, maintainer).
 * After that a maintainer may create any account with any role; anyone else only as the
 * registration policy allows (`open`, or `invite` with a valid code), as a creator.
 */
export async function createAccount(h: Hearth, principal: Principal | null, p: CreateAccount, opts: CreateOptions = {}): Promise<Account> {
  const username = normalizeUsername(h, p.username);
  checkNewUsername(username);
  checkNewPassword(p.pass);
  // A full name is trimmed here as bonafide/user/fullname trims it (control characters never get this far).
  const fullName = checkFullName(p.full_name ?? '');
  // A role token is automation: it registers as anyone would, never with a maintainer's powers.
  const byMaintainer = principal !== null && principal.credential.kind !== 'role' && roleCovers(principal.role, 'maintainer');
  const policy = h.config.accounts.registration;
  // A stranger can never claim an empty store: the first account needs the setup code.
  const claimed = !byMaintainer && !(await repo.anyExists(h.store.db));
  if (claimed) await checkSetupCode(h, p.setup_code, opts.from ?? { address: 'local', surface: 'native' });
  // Refuse what the policy refuses before hashing: the hash is the expensive part.
  if (!byMaintainer && (policy !== 'open' || (p.role !== undefined && p.role !== 'creator')) && (await countAccounts(h)) > 0) {
    if (p.role !== undefined && p.role !== 'creator') throw new HearthError('forbidden', 'only a maintainer may choose the role of a new account');
    if (policy === 'closed') throw new HearthError(principal ? 'forbidden' : 'user:noAuth', 'registration is closed: a maintainer creates accounts');
    if (!p.invitecode) throw badRequest('registration needs an invite code: pass invitecode');
  }
  const hash = await hashPassword(p.pass);
  const now = h.clock.now();

  const account = await h.store.db.transaction().execute(async (tx) => {
    const first = !(await repo.anyExists(tx));
    let role: Role = p.role ?? 'creator';
    if (first) {
      // (The setup code was checked above: whoever saw no account then sees none now.)
      if (!byMaintainer && !claimed) throw new HearthError('conflict', 'the accounts changed meanwhile; try again');
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
    if (await repo.byUsername(tx, username)) {
      throw new HearthError('conflict', `account ${username} exists already`);
    }
    const row: AccountRow = {
      id: newId(),
      username,
      password_hash: hash,
      role,
      full_name: fullName,
      security_stamp: randomSecret(16),
      created_at: now,
      updated_at: now,
      owner: first ? 1 : 0,
    };
    await repo.insert(tx, row);
    const created = toAccount(row);
    if (first) await opts.onOwner?.(tx, created);
    return created;
  });
  if (account.owner) {
    h.owner = { id: account.id, username: account.username };
    h.setup?.done();
    h.setup = null;
  }
  // Its OpenPGP key pair is made in the background, under the password it was just given. Should
  // that not even start (a store without the keys table), keys/generate makes one later.
  await beginKeyPair(h, account, p.pass).catch(() => {});
  await h.hooks.account({ kind: 'created', accountId: account.id, username: account.username, password: p.pass });
  return account;
}

/** Every account, the owner first (SelfPrivacy's app takes element 0 as the administrator). */
export async function listAccounts(h: Hearth): Promise<Account[]> {
  return (await repo.all(h.store.db)).map(toAccount);
}

/** The account a principal may act on: its own, or (for a maintainer) the one it names. */
export async function targetAccount(h: Hearth, principal: Principal, username: string | undefined): Promise<Account> {
  if (username === undefined || username === '') {
    if (!principal.account) throw badRequest('this credential belongs to no account: name one with username');
    return getAccount(h, principal.account.username);
  }
  const name = normalizeUsername(h, username);
  checkMayActOn(principal, name);
  return getAccount(h, name);
}

/**
 * A second factor, checked once the password is right: null when the login may go on, else the
 * error to answer (`user:needSecondFactor` asks for it and is not a failure; any other is one).
 */
export type SecondFactorCheck = (account: Account) => Promise<HearthError | null>;

/**
 * Checks a username and password (with the failed-login limits): the account, or user:badLogin.
 * Unknown users cost the same time and count against the same address limits. With `second`,
 * the account's second factor is checked after the password, under the same limits: a wrong
 * code counts as a wrong password does, and only a wrong password is answered before it.
 */
export async function checkLogin(h: Hearth, username: string, pass: string, from: From, second?: SecondFactorCheck): Promise<Account> {
  let name: string;
  try {
    name = normalizeUsername(h, username);
  } catch {
    name = username;
  }
  // eslint-disable-next-line no-control-regex
  const row = /[\x00-\x1f\x7f]/.test(name) ? undefined : await repo.byUsername(h.store.db, name);
  // What cannot be a username (a password typed in the wrong field, say) is not written to the log.
  const logged = name.length <= MAX_USERNAME && USERNAME.test(name) ? name : '(not a username)';
  const state: { refused: HearthError | null } = { refused: null };
  const account = await guarded(
    h,
    { ...from, username: logged, accountId: row?.id ?? null },
    async () => {
      if (!((await verifyPassword(row?.password_hash ?? null, pass)) && row)) return null;
      const found = toAccount(row);
      state.refused = second ? await second(found) : null;
      return state.refused && state.refused.code !== 'user:needSecondFactor' ? null : found;
    },
    () => state.refused ?? new HearthError('user:badLogin', 'wrong username or password'),
    () => state.refused?.code ?? null,
  );
  if (state.refused) throw state.refused;
  await h.hooks.account({ kind: 'login', accountId: account.id, username: account.username, password: pass });
  return account;
}

/**
 * Stores a new password hash and a new security stamp, in `db` (the caller's transaction, which
 * also ends the account's other credentials: see the credentials feature's `changePassword`).
 */
export async function setPasswordHash(db: Db, accountId: string, hash: string, now: number): Promise<void> {
  await repo.update(db, accountId, { password_hash: hash, security_stamp: randomSecret(16), updated_at: now });
}

/** A new security stamp: whatever was issued under the old one (vault tokens) ends. */
export async function rotateSecurityStamp(db: Db, accountId: string, now: number): Promise<void> {
  await repo.update(db, accountId, { security_stamp: randomSecret(16), updated_at: now });
}

/** A full name as stored: surrounding whitespace trimmed, one line, at most 200 characters. */
function checkFullName(raw: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f-\x9f]/.test(raw)) throw badRequest('full_name: a name cannot hold control characters (a line break, a tab, NUL…)');
  const fullName = raw.trim();
  if (fullName.length > 200) throw badRequest('full_name must be at most 200 characters');
  return fullName;
}

/** Sets the full name of the caller's account (a maintainer: of any account). */
export async function setFullName(h: Hearth, principal: Principal, p: { full_name: string; username?: string }): Promise<Account> {
  const account = await targetAccount(h, principal, p.username);
  const fullName = checkFullName(p.full_name);
  await repo.update(h.store.db, account.id, { full_name: fullName, updated_at: h.clock.now() });
  return (await accountById(h, account.id))!;
}

/**
 * Deletes an account and, with it, every credential, secret and vault row it holds (the store's
 * ON DELETE CASCADE: whatever a feature keeps of an account goes with it). Never the last maintainer.
 */
export async function deleteAccount(h: Hearth, username: string): Promise<string> {
  const account = await getAccount(h, normalizeUsername(h, username));
  if (account.owner) throw badRequest(`${account.username} is the owner (the main user) and cannot be deleted`);
  await h.store.db.transaction().execute(async (tx) => {
    if (account.role === 'maintainer' && (await repo.countMaintainers(tx)) <= 1) {
      throw badRequest(`${account.username} is the last maintainer; make another account a maintainer first`);
    }
    await repo.remove(tx, account.id);
  });
  await h.hooks.account({ kind: 'deleted', accountId: account.id, username: account.username });
  return account.username;
}

/** Changes an account's role (maintainer only). Never demotes the last maintainer. */
export async function setRole(h: Hearth, username: string, role: Role): Promise<Account> {
  const account = await getAccount(h, normalizeUsername(h, username));
  if (account.owner && role !== 'maintainer') throw badRequest(`${account.username} is the owner and stays a maintainer`);
  if (account.role === 'maintainer' && role !== 'maintainer' && (await repo.countMaintainers(h.store.db)) <= 1) {
    throw badRequest(`${account.username} is the last maintainer; make another account a maintainer first`);
  }
  await repo.update(h.store.db, account.id, { role, updated_at: h.clock.now() });
  return (await accountById(h, account.id))!;
}

// ---- invite codes --------------------------------------------------------------------------

/** An invite code (Bitmask's invitecode): single use, expiring after `[accounts] invite_ttl`. */
export async function createInvite(h: Hearth, principal: Principal, expiresIn?: number): Promise<{ invitecode: string; expires_at: string }> {
  const code = randomSecret(32);
  const now = h.clock.now();
  const expiresAt = now + (expiresIn ?? h.config.accounts.invite_ttl) * 1000;
  await storeSecret(h.store.db, { kind: 'invite', accountId: principal.account?.id ?? null, role: 'creator', secret: code, now, expiresAt, uses: 1 });
  return { invitecode: code, expires_at: new Date(expiresAt).toISOString() };
}

/** Revokes a live invite code by its id (unknown, used or expired → 404). */
export async function revokeInvite(h: Hearth, id: string): Promise<void> {
  const live = await liveSecrets(h.store.db, 'invite', h.clock.now());
  if (!live.some((r) => r.id === id)) throw notFound(`no live invite code ${id}`);
  await deleteSecret(h.store.db, id);
}

/** Invite codes not yet used or expired (their ids and dates; the codes are not kept). */
export async function listInvites(h: Hearth) {
  const rows = await liveSecrets(h.store.db, 'invite', h.clock.now());
  return rows.map((r) => ({ id: r.id, created_at: new Date(r.created_at).toISOString(), expires_at: new Date(r.expires_at!).toISOString() }));
}
