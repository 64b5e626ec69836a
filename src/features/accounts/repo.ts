/** The `accounts` table: the only module that reads or writes it. */
import type { Selectable } from 'kysely';
import type { Db } from '../../store/db.js';
import { countAll } from '../../store/db.js';
import type { AccountsTable } from '../../store/schema.js';

export type AccountRow = Selectable<AccountsTable>;

export async function byUsername(db: Db, username: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function byId(db: Db, id: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The owner's account (the first created), if any. */
export async function owner(db: Db): Promise<{ id: string; username: string } | undefined> {
  return db.selectFrom('accounts').select(['id', 'username']).where('owner', '=', 1).orderBy('created_at').limit(1).executeTakeFirst();
}

export async function count(db: Db): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return countAll(row.n);
}

export async function countMaintainers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', 'maintainer')
    .executeTakeFirstOrThrow();
  return countAll(row.n);
}

export async function anyExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Every account, the owner first, then by creation. */
export async function all(db: Db): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().orderBy('owner', 'desc').orderBy('created_at').orderBy('username').execute();
}

export async function insert(db: Db, row: AccountRow): Promise<void> {
  await db.insertInto('accounts').values(row).execute();
}

export async function update(
  db: Db,
  id: string,
  fields: Partial<Pick<AccountRow, 'password_hash' | 'security_stamp' | 'full_name' | 'role' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('accounts').set(fields).where('id', '=', id).execute();
}

/** Deletes an account; its credentials, secrets and vault go with it (ON DELETE CASCADE). */
export async function remove(db: Db, id: string): Promise<void> {
  await db.deleteFrom('accounts').where('id', '=', id).execute();
}
