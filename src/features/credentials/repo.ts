/** The `credentials` table: login sessions and device tokens, each kept as its token's SHA-256. */
import type { Db, Store } from '../../store/db.js';
import { compiledOnce, ownedBy } from '../../store/db.js';
import type { Insertable } from 'kysely';
import type { CredentialsTable } from '../../store/schema.js';

export type CredentialRow = Insertable<CredentialsTable>;

/**
 * The lookup every request with a stored credential makes: one indexed read, compiled once. It
 * joins the account for its name and current role (the one read of `accounts` outside the
 * accounts feature: the hot path cannot afford a second round trip).
 */
export const byTokenHash = compiledOnce((db, hash: string) =>
  db
    .selectFrom('credentials as c')
    .leftJoin('accounts as a', 'a.id', 'c.account_id')
    .select([
      'c.id',
      'c.kind',
      'c.account_id',
      'c.role',
      'c.last_used_at',
      'c.expires_at',
      'c.max_expires_at',
      'c.csrf_hash',
      'a.username',
      'a.role as account_role',
      'a.owner',
    ])
    .where('c.token_hash', '=', hash),
);

export async function insert(db: Db, row: CredentialRow): Promise<void> {
  await db.insertInto('credentials').values(row).execute();
}

export type PrincipalRow = NonNullable<Awaited<ReturnType<typeof byTokenHash.first>>>;

/** A credential's last use, and a session's new idle expiry. */
export interface Touch {
  last_used_at: number;
  expires_at?: number;
}

export async function touch(db: Db, id: string, fields: Touch): Promise<void> {
  await db.updateTable('credentials').set(fields).where('id', '=', id).execute();
}

export async function setTokenHash(db: Db, id: string, tokenHash: string): Promise<boolean> {
  const result = await db.updateTable('credentials').set({ token_hash: tokenHash }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('credentials').where('id', '=', id).execute();
}

/** Deletes every credential of an account except `keep`. */
export async function deleteForAccount(db: Db, accountId: string, keep: string | null): Promise<void> {
  let q = db.deleteFrom('credentials').where('account_id', '=', accountId);
  if (keep) q = q.where('id', '!=', keep);
  await q.execute();
}

/** Gives the server owner's devices (`account_id` null, paired with the global token) to the owner's account; how many. */
export async function adoptOwnerless(db: Db, ownerId: string): Promise<number> {
  const result = await db.updateTable('credentials').set({ account_id: ownerId }).where('account_id', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// ---- sessions ----

export async function deleteExpiredSessions(db: Db, accountId: string, now: number): Promise<void> {
  await db
    .deleteFrom('credentials')
    .where('kind', '=', 'session')
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('max_expires_at', '<=', now)]))
    .execute();
}

/** Ids of an account's sessions, most recently used first. */
export async function sessionIdsByUse(db: Db, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('credentials')
    .select('id')
    .where('kind', '=', 'session')
    .where('account_id', '=', accountId)
    .orderBy('last_used_at', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function deleteIds(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db.deleteFrom('credentials').where('id', 'in', ids).execute();
}

export async function liveSessions(db: Db, accountId: string, now: number) {
  return db
    .selectFrom('credentials')
    .select(['id', 'created_at', 'last_used_at', 'expires_at', 'max_expires_at', 'csrf_hash', 'address', 'user_agent'])
    .where('kind', '=', 'session')
    .where('account_id', '=', accountId)
    .where('expires_at', '>', now)
    .where('max_expires_at', '>', now)
    .orderBy('last_used_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
}

/** Deletes one session of an account; whether it existed. */
export async function deleteSession(db: Db, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('credentials').where('kind', '=', 'session').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Deletes an account's sessions but `keep`; how many. */
export async function deleteSessionsBut(db: Db, accountId: string, keep: string | null): Promise<number> {
  let q = db.deleteFrom('credentials').where('kind', '=', 'session').where('account_id', '=', accountId);
  if (keep) q = q.where('id', '!=', keep);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

// ---- devices ----

/** The device named `name` of an account (null: the server owner's). */
export async function deviceByName(db: Db, accountId: string | null, name: string): Promise<{ id: string } | undefined> {
  return ownedBy(db.selectFrom('credentials').select('id').where('kind', '=', 'device').where('name', '=', name), accountId).executeTakeFirst();
}

const deviceColumns = ['id', 'name', 'created_at', 'last_used_at', 'role'] as const;
/** An account's devices, oldest first: SelfPrivacy's app asks for them often, so compiled once and read as committed. */
const accountDevices = compiledOnce((db, kind: 'device', accountId: string) =>
  db.selectFrom('credentials').select(deviceColumns).where('kind', '=', kind).where('account_id', '=', accountId).orderBy('created_at'),
);
const ownerDevices = compiledOnce((db, kind: 'device') =>
  db.selectFrom('credentials').select(deviceColumns).where('kind', '=', kind).where('account_id', 'is', null).orderBy('created_at'),
);

export function devices(store: Store, accountId: string | null) {
  return accountId === null ? ownerDevices(store, 'device') : accountDevices(store, 'device', accountId);
}
