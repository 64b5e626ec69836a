/** The `one_time_secrets` table: pairing phrases, recovery tokens, invite codes, vault registration tokens. */
import type { Db } from '../../store/db.js';
import { ownedBy } from '../../store/db.js';
import type { OneTimeSecretsTable, SecretKind } from '../../store/schema.js';

export type SecretRow = OneTimeSecretsTable;

/**
 * Spends one use of the live secret with this hash, atomically: one conditional update, so a
 * secret with N uses can never be spent N+1 times however many requests race. Its row, or null.
 */
export async function spend(db: Db, kind: SecretKind, hash: string, now: number): Promise<SecretRow | null> {
  const spent = await db
    .updateTable('one_time_secrets')
    .set((eb) => ({ uses_left: eb('uses_left', '-', 1) }))
    .where('secret_hash', '=', hash)
    .where('kind', '=', kind)
    .where('uses_left', '>', 0)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) return null;
  return (await db.selectFrom('one_time_secrets').selectAll().where('secret_hash', '=', hash).executeTakeFirst()) ?? null;
}

/** The live secret with this hash (uses left, not expired), without spending it. */
export async function findLive(db: Db, kind: SecretKind, hash: string, now: number): Promise<SecretRow | null> {
  const row = await db
    .selectFrom('one_time_secrets')
    .selectAll()
    .where('secret_hash', '=', hash)
    .where('kind', '=', kind)
    .where('uses_left', '>', 0)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row ?? null;
}

export async function insert(db: Db, row: SecretRow): Promise<void> {
  await db.insertInto('one_time_secrets').values(row).execute();
}

/** Deletes the secrets of `kind` that belong to an account (null: the server owner). */
export async function deleteOwned(db: Db, kind: SecretKind, accountId: string | null): Promise<void> {
  await ownedBy(db.deleteFrom('one_time_secrets').where('kind', '=', kind), accountId).execute();
}

/** Deletes secrets of these kinds held by an account. */
export async function deleteForAccount(db: Db, accountId: string, kinds: readonly SecretKind[]): Promise<void> {
  await db.deleteFrom('one_time_secrets').where('account_id', '=', accountId).where('kind', 'in', kinds).execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('one_time_secrets').where('id', '=', id).execute();
}

export async function findOwned(db: Db, kind: SecretKind, accountId: string | null): Promise<SecretRow | undefined> {
  return ownedBy(db.selectFrom('one_time_secrets').selectAll().where('kind', '=', kind), accountId).executeTakeFirst();
}

/** Secrets of `kind` with a use left and not expired at `now` (those with an expiry), oldest first. */
export async function listLive(db: Db, kind: SecretKind, now: number): Promise<SecretRow[]> {
  return db
    .selectFrom('one_time_secrets')
    .selectAll()
    .where('kind', '=', kind)
    .where('uses_left', '>', 0)
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .execute();
}

/** Gives secrets of these kinds that belong to no account (the global token's) to `accountId`. */
export async function adoptOwnerless(db: Db, accountId: string, kinds: readonly SecretKind[]): Promise<void> {
  await db.updateTable('one_time_secrets').set({ account_id: accountId }).where('account_id', 'is', null).where('kind', 'in', kinds).execute();
}
