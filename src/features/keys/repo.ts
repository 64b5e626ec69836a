/** The `openpgp_keys` table: an account's own key pair and the public keys it imported. */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../store/db.js';
import type { OpenpgpKeysTable } from '../../store/schema.js';

export type KeyRow = Selectable<OpenpgpKeysTable>;

/** An account's keys, its own key pair first, then by address. */
export async function forAccount(db: Db, accountId: string): Promise<KeyRow[]> {
  return db.selectFrom('openpgp_keys').selectAll().where('account_id', '=', accountId).orderBy('private', 'desc').orderBy('address').execute();
}

export async function find(db: Db, accountId: string, address: string, priv: boolean): Promise<KeyRow | undefined> {
  return db
    .selectFrom('openpgp_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('address', '=', address)
    .where('private', '=', priv ? 1 : 0)
    .executeTakeFirst();
}

/** The account's own key pair, whatever its address (the domain may have changed). */
export async function ownKeyPair(db: Db, accountId: string): Promise<KeyRow | undefined> {
  return db.selectFrom('openpgp_keys').selectAll().where('account_id', '=', accountId).where('private', '=', 1).executeTakeFirst();
}

export async function insert(db: Db, row: KeyRow): Promise<void> {
  await db.insertInto('openpgp_keys').values(row).execute();
}

export async function update(db: Db, id: string, set: Updateable<OpenpgpKeysTable>): Promise<void> {
  await db.updateTable('openpgp_keys').set(set).where('id', '=', id).execute();
}

/** Deletes one row; whether it was there. */
export async function remove(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('openpgp_keys').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function removeOwn(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('openpgp_keys').where('account_id', '=', accountId).where('private', '=', 1).execute();
}
