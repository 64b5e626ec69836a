/** The host state's tables: host_settings, ssh_keys, system_passwords. */
import type { Selectable } from 'kysely';
import type { Db } from '../../store/db.js';
import type { SshKeysTable } from '../../store/schema.js';

export type SshKeyRow = Selectable<SshKeysTable>;

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('host_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function setSetting(db: Db, key: string, value: string, now: number): Promise<void> {
  await db
    .insertInto('host_settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

export async function keysOf(db: Db, scope: string): Promise<SshKeyRow[]> {
  return db.selectFrom('ssh_keys').selectAll().where('scope', '=', scope).orderBy('created_at').orderBy('id').execute();
}

export async function allKeys(db: Db): Promise<SshKeyRow[]> {
  return db.selectFrom('ssh_keys').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** Inserts a key unless the scope has one with the same fingerprint; whether it did. */
export async function insertKey(db: Db, row: SshKeyRow): Promise<boolean> {
  const r = await db
    .insertInto('ssh_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['scope', 'fingerprint']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function deleteKey(db: Db, scope: string, fingerprint: string): Promise<boolean> {
  const r = await db.deleteFrom('ssh_keys').where('scope', '=', scope).where('fingerprint', '=', fingerprint).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function cryptHashes(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('system_passwords').select(['account_id', 'crypt_hash']).execute();
  return new Map(rows.map((r) => [r.account_id, r.crypt_hash]));
}

export async function cryptHashOf(db: Db, accountId: string): Promise<string | undefined> {
  return (await db.selectFrom('system_passwords').select('crypt_hash').where('account_id', '=', accountId).executeTakeFirst())?.crypt_hash;
}

export async function setCryptHash(db: Db, accountId: string, hash: string, now: number): Promise<void> {
  await db
    .insertInto('system_passwords')
    .values({ account_id: accountId, crypt_hash: hash, updated_at: now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ crypt_hash: hash, updated_at: now }))
    .execute();
}

export async function clearCryptHashes(db: Db): Promise<void> {
  await db.deleteFrom('system_passwords').execute();
}
