/** The `role_tokens` table: a record of each issued role token, so it can be listed and revoked. */
import type { Db } from '../../store/db.js';
import { compiledOnce } from '../../store/db.js';
import type { Selectable } from 'kysely';
import type { RoleTokensTable } from '../../store/schema.js';

export type RoleTokenRow = Selectable<RoleTokensTable>;

/** An issued id's row (is it known, was it revoked): the read every request with a role token makes, compiled once. */
export const revocationOf = compiledOnce((db, id: string) => db.selectFrom('role_tokens').select('revoked_at').where('id', '=', id));

export async function insert(db: Db, row: RoleTokenRow): Promise<void> {
  await db.insertInto('role_tokens').values(row).execute();
}

/** Marks a token revoked unless it is already; whether this call revoked it. */
export async function revoke(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('role_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function find(db: Db, id: string): Promise<RoleTokenRow | undefined> {
  return db.selectFrom('role_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Ids that start with `prefix` (hex digits and dashes only: no LIKE wildcard gets in), at most `limit`. */
export async function idsStartingWith(db: Db, prefix: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('role_tokens').select('id').where('id', 'like', `${prefix}%`).limit(limit).execute();
  return rows.map((r) => r.id);
}

/** Tokens not yet expired at `now`, newest first. */
export async function live(db: Db, now: number): Promise<RoleTokenRow[]> {
  return db.selectFrom('role_tokens').selectAll().where('expires_at', '>', now).orderBy('issued_at', 'desc').execute();
}

export async function deleteExpired(db: Db, now: number): Promise<void> {
  await db.deleteFrom('role_tokens').where('expires_at', '<', now).execute();
}
